using DePT.Tensors;

namespace DePT.Distributed;

/// <summary>The argument checks every <see cref="ICollective"/> makes, with messages that name the rank and tensor.</summary>
internal static class CollectiveChecks
{
    /// <summary>One list per rank, the same number of tensors on each, tensor i of every rank alike in shape and dtype and not disposed.</summary>
    public static void Check(string operation, int rankCount, IReadOnlyList<IReadOnlyList<Tensor>> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count != rankCount)
            throw new ArgumentException($"{operation}: {tensors.Count} lists of tensors for {rankCount} ranks.", nameof(tensors));
        var first = tensors[0] ?? throw new ArgumentNullException(nameof(tensors), $"{operation}: rank 0 has no list of tensors.");
        for (int r = 0; r < rankCount; r++)
        {
            var list = tensors[r] ?? throw new ArgumentNullException(nameof(tensors), $"{operation}: rank {r} has no list of tensors.");
            if (list.Count != first.Count)
                throw new ArgumentException($"{operation}: rank {r} has {list.Count} tensors, rank 0 has {first.Count}.", nameof(tensors));
            for (int i = 0; i < list.Count; i++)
            {
                var tensor = list[i];
                if (tensor is null || tensor.IsDisposed) throw new ArgumentException($"{operation}: tensor {i} of rank {r} is missing or disposed.", nameof(tensors));
                if (tensor.DType != first[i].DType || !tensor.Shape.SequenceEqual(first[i].Shape))
                    throw new ArgumentException($"{operation}: tensor {i} of rank {r} is {tensor.ShapeText}, on rank 0 it is {first[i].ShapeText}.", nameof(tensors));
            }
        }
    }

    public static void CheckRoot(int root, int rankCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, rankCount);
    }
}
