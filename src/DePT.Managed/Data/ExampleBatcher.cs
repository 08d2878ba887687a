using DePT.Tokenizers;

namespace DePT.Data;

/// <summary>Tokenizes batches of examples with dynamic padding (each batch as long as its longest row),
/// truncating to the maximum lengths and counting what was cut.</summary>
public sealed class ExampleBatcher
{
    private readonly ITextTokenizer _tokenizer;
    private readonly LabelSet? _labels;

    /// <summary>Creates a batcher.</summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="maxInputLength">Most input ids per row, special tokens included: the paper's s.</param>
    /// <param name="maxTargetLength">Most target ids per row, for text-to-text.</param>
    /// <param name="labels">The label set, for classification; null for text-to-text.</param>
    public ExampleBatcher(ITextTokenizer tokenizer, int maxInputLength, int maxTargetLength, LabelSet? labels = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInputLength, tokenizer.MinimumLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTargetLength, tokenizer.MinimumLength);
        _tokenizer = tokenizer;
        MaxInputLength = maxInputLength;
        MaxTargetLength = maxTargetLength;
        _labels = labels;
    }

    /// <summary>Most input ids per row.</summary>
    public int MaxInputLength { get; }

    /// <summary>Most target ids per row.</summary>
    public int MaxTargetLength { get; }

    /// <summary>Inputs truncated over all batches this batcher made.</summary>
    public long TotalTruncatedInputs { get; private set; }

    /// <summary>Targets truncated over all batches this batcher made.</summary>
    public long TotalTruncatedTargets { get; private set; }

    /// <summary>Encodes the examples at <paramref name="indices"/> (for example from <see cref="EpochOrder.NextBatch"/>).</summary>
    public EncodedBatch Encode(IReadOnlyList<Example> examples, ReadOnlySpan<int> indices)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var picked = new Example[indices.Length];
        for (int i = 0; i < indices.Length; i++)
            picked[i] = examples[indices[i]];
        return Encode(picked);
    }

    /// <summary>Encodes a batch of examples: all text-to-text with targets when the batcher has no label set,
    /// all labelled otherwise.</summary>
    /// <exception cref="DatasetFormatException">A row lacks its target or has an unknown label.</exception>
    public EncodedBatch Encode(IReadOnlyList<Example> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfZero(batch.Count);
        var inputs = EncodePadded(batch, e => e.Input, MaxInputLength, out int truncatedInputs);
        TokenBatch? targets = null;
        int[]? labels = null;
        int truncatedTargets = 0;
        if (_labels is null)
        {
            targets = EncodePadded(batch, e => e.Target
                ?? throw new DatasetFormatException(e.SourceFile, e.LineNumber, "the row has no target text."), MaxTargetLength, out truncatedTargets);
        }
        else
        {
            labels = new int[batch.Count];
            for (int i = 0; i < batch.Count; i++)
                labels[i] = _labels.IndexOf(batch[i]);
        }
        TotalTruncatedInputs += truncatedInputs;
        TotalTruncatedTargets += truncatedTargets;
        return new EncodedBatch(inputs, targets, labels, truncatedInputs, truncatedTargets);
    }

    private TokenBatch EncodePadded(IReadOnlyList<Example> batch, Func<Example, string> text, int maxLength, out int truncated)
    {
        var rows = new int[batch.Count][];
        int longest = 0;
        truncated = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            string value = text(batch[i]);
            // One id of headroom tells a text that fits exactly from one that was cut.
            var ids = _tokenizer.Encode(value, maxLength + 1);
            if (ids.Length > maxLength)
            {
                truncated++;
                ids = _tokenizer.Encode(value, maxLength);
            }
            rows[i] = ids;
            longest = Math.Max(longest, ids.Length);
        }
        return TokenBatchBuilder.RightPadded(rows, longest, _tokenizer.PaddingTokenId);
    }
}
