using DePT.Data;
using DePT.Tokenizers;

namespace DePT.Distributed;

/// <summary>How a data-parallel step splits its global batch: contiguous row ranges, one per rank, in rank order.</summary>
public static class BatchShards
{
    /// <summary>
    /// The rows of each rank: contiguous, in order, sizes differing by at most one (the first <c>rows % ranks</c> ranks take
    /// one more). With fewer rows than ranks the last ranks get none.
    /// </summary>
    public static (int Start, int Count)[] Bounds(int rows, int ranks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ranks);
        var bounds = new (int, int)[ranks];
        int start = 0;
        for (int r = 0; r < ranks; r++)
        {
            int count = rows / ranks + (r < rows % ranks ? 1 : 0);
            bounds[r] = (start, count);
            start += count;
        }
        return bounds;
    }

    /// <summary>
    /// Rows [<paramref name="start"/>, start + <paramref name="count"/>) of <paramref name="batch"/>, padded as the whole batch
    /// was, so a shard computes exactly what those rows compute in the whole batch. Truncation counts stay with the whole batch (0 here).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty or leaves the batch.</exception>
    public static EncodedBatch Slice(EncodedBatch batch, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, batch.Inputs.BatchSize, nameof(count));
        return new EncodedBatch(Rows(batch.Inputs, start, count), batch.Targets is { } targets ? Rows(targets, start, count) : null,
            batch.Labels?[start..(start + count)], 0, 0);
    }

    private static TokenBatch Rows(TokenBatch tokens, int start, int count)
    {
        int length = tokens.SequenceLength;
        var cells = (start * length)..((start + count) * length);
        return new TokenBatch(count, length, tokens.InputIds[cells], tokens.AttentionMask[cells], tokens.Lengths[start..(start + count)]);
    }
}
