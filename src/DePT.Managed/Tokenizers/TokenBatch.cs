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
}
