using DePT.Tensors;

namespace DePT.Distributed;

/// <summary>
/// An in-process <see cref="ICollective"/> through host memory: each tensor is read to the host, reduced in rank order
/// (rank 0 + rank 1 + ...) in F32, and written back to every rank. Works on any backend; made for the CPU backend, where
/// it stands in for NCCL, and far too slow for real GPU training. F32 tensors only.
/// </summary>
public sealed class HostCollective : ICollective
{
    /// <summary>A collective over <paramref name="rankCount"/> ranks.</summary>
    public HostCollective(int rankCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rankCount);
        RankCount = rankCount;
    }

    /// <inheritdoc />
    public int RankCount { get; }

    /// <inheritdoc />
    public void AllReduceSum(IReadOnlyList<IReadOnlyList<Tensor>> tensors)
    {
        Check(nameof(AllReduceSum), tensors);
        for (int i = 0; i < tensors[0].Count; i++)
        {
            float[] sum = tensors[0][i].ToFloatArray();
            for (int r = 1; r < RankCount; r++)
            {
                float[] values = tensors[r][i].ToFloatArray();
                for (int k = 0; k < sum.Length; k++) sum[k] += values[k];
            }
            for (int r = 0; r < RankCount; r++) tensors[r][i].CopyFrom(sum);
        }
    }

    /// <inheritdoc />
    public void Broadcast(IReadOnlyList<IReadOnlyList<Tensor>> tensors, int root)
    {
        Check(nameof(Broadcast), tensors);
        CollectiveChecks.CheckRoot(root, RankCount);
        for (int i = 0; i < tensors[0].Count; i++)
        {
            float[] values = tensors[root][i].ToFloatArray();
            for (int r = 0; r < RankCount; r++)
                if (r != root) tensors[r][i].CopyFrom(values);
        }
    }

    /// <summary>Holds nothing to release.</summary>
    public void Dispose()
    {
    }

    private void Check(string operation, IReadOnlyList<IReadOnlyList<Tensor>> tensors)
    {
        CollectiveChecks.Check($"{nameof(HostCollective)}.{operation}", RankCount, tensors);
        foreach (var tensor in tensors[0])
            if (tensor.DType != DType.F32)
                throw new ArgumentException($"{nameof(HostCollective)}.{operation}: {tensor.ShapeText} is not f32; this collective reduces f32 tensors only.", nameof(tensors));
    }
}
