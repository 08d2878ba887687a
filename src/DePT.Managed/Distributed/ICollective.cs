using DePT.Tensors;

namespace DePT.Distributed;

/// <summary>
/// Collective operations over the replicas of a data-parallel run: rank r's tensors are <c>tensors[r]</c>, the same
/// count, shapes and dtypes on every rank, each on rank r's backend. Operations are in place and queued like any
/// backend op; what follows on a rank's backend sees their result.
/// </summary>
/// <remarks>
/// <see cref="NcclCollective"/> is the one for CUDA devices; <see cref="HostCollective"/> runs on any backend through
/// host memory (the CPU tests' stand-in, and a reference for NCCL's results).
/// </remarks>
public interface ICollective : IDisposable
{
    /// <summary>The number of ranks (replicas).</summary>
    int RankCount { get; }

    /// <summary>Every rank's tensor i becomes the sum over ranks of tensor i, identical on every rank.</summary>
    /// <exception cref="ArgumentException">The lists do not have one entry per rank, or the ranks' tensors differ in count, shape or dtype.</exception>
    void AllReduceSum(IReadOnlyList<IReadOnlyList<Tensor>> tensors);

    /// <summary>Every rank's tensor i becomes a copy of rank <paramref name="root"/>'s tensor i.</summary>
    /// <exception cref="ArgumentException">As <see cref="AllReduceSum"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is not a rank.</exception>
    void Broadcast(IReadOnlyList<IReadOnlyList<Tensor>> tensors, int root);
}
