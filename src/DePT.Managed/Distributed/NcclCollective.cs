using DePT.Backends.Cuda;
using DePT.Tensors;

namespace DePT.Distributed;

/// <summary>
/// The <see cref="ICollective"/> of CUDA replicas in one process: one NCCL communicator per device (ncclCommInitAll),
/// driven from the calling thread with every rank's calls in one NCCL group, so an all-reduce of all the gradients is
/// one grouped launch per step. Results are queued on each rank's stream; nothing waits on the host.
/// </summary>
public sealed class NcclCollective : ICollective
{
    private readonly NcclCommunicator[] _ranks;

    /// <summary>Sets NCCL up over <paramref name="backends"/>, rank r on backend r (each on a device of its own).</summary>
    /// <exception cref="ArgumentException">No backend, or two on one device.</exception>
    /// <exception cref="Native.NcclException">NCCL could not set the ranks up.</exception>
    /// <exception cref="DllNotFoundException">libnccl.so.2 was not found; the message lists where it was looked for.</exception>
    public NcclCollective(IReadOnlyList<CudaBackend> backends) => _ranks = NcclCommunicator.CreateAll(backends);

    /// <inheritdoc />
    public int RankCount => _ranks.Length;

    /// <summary>The communicators, rank by rank.</summary>
    public IReadOnlyList<NcclCommunicator> Communicators => _ranks;

    /// <inheritdoc />
    public void AllReduceSum(IReadOnlyList<IReadOnlyList<Tensor>> tensors)
    {
        CollectiveChecks.Check($"{nameof(NcclCollective)}.{nameof(AllReduceSum)}", RankCount, tensors);
        using (NcclCommunicator.Group())
            for (int r = 0; r < RankCount; r++)
                foreach (var tensor in tensors[r]) _ranks[r].AllReduceSum(tensor);
        ThrowIfAsyncError();
    }

    /// <inheritdoc />
    public void Broadcast(IReadOnlyList<IReadOnlyList<Tensor>> tensors, int root)
    {
        CollectiveChecks.Check($"{nameof(NcclCollective)}.{nameof(Broadcast)}", RankCount, tensors);
        CollectiveChecks.CheckRoot(root, RankCount);
        using (NcclCommunicator.Group())
            for (int r = 0; r < RankCount; r++)
                foreach (var tensor in tensors[r]) _ranks[r].Broadcast(tensor, root);
        ThrowIfAsyncError();
    }

    /// <summary>Frees every communicator.</summary>
    public void Dispose()
    {
        foreach (var rank in _ranks) rank.Dispose();
    }

    private void ThrowIfAsyncError()
    {
        foreach (var rank in _ranks) rank.ThrowIfAsyncError();
    }
}
