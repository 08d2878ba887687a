namespace DePT.Tokenizers;

/// <summary>Token ids of several texts, right-padded to one length, with the attention mask.</summary>
public sealed class TokenBatch
{
    internal TokenBatch(int batchSize, int sequenceLength, int[] inputIds, int[] attentionMask, int[] lengths)
    {
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        InputIds = inputIds;
        AttentionMask = attentionMask;
        Lengths = lengths;
    }

    /// <summary>Number of texts B.</summary>
    public int BatchSize { get; }

    /// <summary>Padded length L (the longest text in the batch, or the requested maximum).</summary>
    public int SequenceLength { get; }

    /// <summary>Token ids, row-major B×L; positions past a text's length hold the padding id.</summary>
    public int[] InputIds { get; }

    /// <summary>1 for real tokens, 0 for padding, row-major B×L.</summary>
    public int[] AttentionMask { get; }

    /// <summary>The unpadded length of each text, [CLS] and [SEP] included.</summary>
    public int[] Lengths { get; }

    /// <summary>The ids of text <paramref name="index"/>, padding included.</summary>
    public ReadOnlySpan<int> Row(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BatchSize);
        return InputIds.AsSpan(index * SequenceLength, SequenceLength);
    }

    /// <summary>Right-pads <paramref name="rows"/> of ids with <paramref name="paddingId"/> to the longest row (for inputs made without a tokenizer, such as benchmarks).</summary>
    /// <exception cref="ArgumentException">There are no rows, or a row is empty.</exception>
    public static TokenBatch RightPadded(int[][] rows, int paddingId)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Length == 0 || rows.Any(r => r is null || r.Length == 0)) throw new ArgumentException("a batch needs at least one row, and every row at least one id.", nameof(rows));
        return TokenBatchBuilder.RightPadded(rows, rows.Max(r => r.Length), paddingId);
    }
}
