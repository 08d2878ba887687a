namespace DePT.Data;

/// <summary>The order training visits examples in: a fresh seeded permutation each epoch and a cursor into it.
/// Epoch e's permutation depends only on the seed and e, so <see cref="State"/> and <see cref="Restore"/> are
/// all a checkpoint needs to resume the same sequence of batches.</summary>
public sealed class EpochOrder
{
    private readonly int _count;
    private readonly int _seed;
    private int[] _permutation;

    /// <summary>Starts at epoch 0, cursor 0.</summary>
    /// <param name="count">Number of examples; at least one.</param>
    /// <param name="seed">The seed the orders come from.</param>
    public EpochOrder(int count, int seed)
        : this(new EpochOrderState(count, seed, 0, 0))
    {
    }

    private EpochOrder(EpochOrderState state)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(state.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(state.Epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(state.Cursor);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(state.Cursor, state.Count);
        _count = state.Count;
        _seed = state.Seed;
        Epoch = state.Epoch;
        Cursor = state.Cursor;
        _permutation = PermutationOf(Epoch);
    }

    /// <summary>Rebuilds an order from a saved state.</summary>
    /// <param name="state">A state from <see cref="State"/>.</param>
    public static EpochOrder Restore(EpochOrderState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new EpochOrder(state);
    }

    /// <summary>The 0-based epoch in progress.</summary>
    public int Epoch { get; private set; }

    /// <summary>Position within the epoch's permutation of the next example.</summary>
    public int Cursor { get; private set; }

    /// <summary>The permutation of the epoch in progress (a copy), saved beside <see cref="State"/> so a resume can check it still holds.</summary>
    public int[] CurrentPermutation => (int[])_permutation.Clone();

    /// <summary>The current position, to save with a checkpoint.</summary>
    public EpochOrderState State => new(_count, _seed, Epoch, Cursor);

    /// <summary>The indices of the next batch. A batch never spans two epochs: the last one of an epoch may be
    /// shorter, and the next call starts the next epoch with a new permutation.</summary>
    /// <param name="batchSize">Most indices to return; at least one.</param>
    public int[] NextBatch(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (Cursor == _count)
        {
            Epoch++;
            Cursor = 0;
            _permutation = PermutationOf(Epoch);
        }
        int take = Math.Min(batchSize, _count - Cursor);
        var batch = _permutation.AsSpan(Cursor, take).ToArray();
        Cursor += take;
        return batch;
    }

    private int[] PermutationOf(int epoch) => SeededShuffle.Permutation(_count, unchecked(_seed * 1_000_003 + epoch));
}
