using DePT.Backends;
using DePT.Tensors;

namespace DePT.Models.Llama;

/// <summary>
/// The per-batch tensors of a causal LM on a backend, with the prompt placed as PEFT places it for causal LMs: m prompt
/// rows first (attended to, their labels −100), then the example's L tokens, left- or right-padded.
/// <list type="bullet">
/// <item><see cref="Mask"/> (B, m+L) I32: m ones, then the example's mask.</item>
/// <item><see cref="Positions"/> (B, m+L) I32: the count of attended rows before each row (cumsum(mask) − 1), so a
/// left-padded example has the positions of the same example right-padded; padded rows get 1, as transformers'
/// <c>generate</c> gives them (they are masked).</item>
/// <item><see cref="RowOffsets"/> (B) I32: each example's left padding, for
/// <see cref="IBackend.PromptInputForward"/>'s row offset (so its first real token takes row 0 of DePT's A).</item>
/// <item><see cref="ScoredRows"/> and <see cref="ScoredLabels"/> (K) I32: the flat rows b·(m+L) + t that are scored and
/// the label each is scored against, the label of row t + 1 (transformers' shifted causal-LM loss); the last row, prompt
/// rows and −100 labels are not scored. The LM head runs on these K rows only.</item>
/// </list>
/// </summary>
public sealed class CausalLmBatch : IDisposable
{
    /// <summary>The label value that is not scored (transformers' -100).</summary>
    public const int IgnoreIndex = -100;

    private CausalLmBatch(Tensor mask, Tensor positions, Tensor rowOffsets, Tensor? scoredRows, Tensor? scoredLabels, int[] hostMask, int batch, int length,
        int promptLength, int labelCount)
    {
        Mask = mask;
        Positions = positions;
        RowOffsets = rowOffsets;
        ScoredRows = scoredRows;
        ScoredLabels = scoredLabels;
        HostMask = hostMask;
        Batch = batch;
        Length = length;
        PromptLength = promptLength;
        LabelCount = labelCount;
    }

    /// <summary>(B, m+L) I32 key mask.</summary>
    public Tensor Mask { get; }

    /// <summary>(B, m+L) I32 rotary positions.</summary>
    public Tensor Positions { get; }

    /// <summary>(B) I32 left padding of each example's tokens.</summary>
    public Tensor RowOffsets { get; }

    /// <summary>(K) I32 flat rows b·(m+L) + t that are scored, in order; null for a batch without labels.</summary>
    public Tensor? ScoredRows { get; }

    /// <summary>(K) I32 the label each scored row is scored against (the next row's); null for a batch without labels.</summary>
    public Tensor? ScoredLabels { get; }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>m + L: rows per example.</summary>
    public int Length { get; }

    /// <summary>m: the prompt rows in front.</summary>
    public int PromptLength { get; }

    /// <summary>K: labels that are scored (0 without labels).</summary>
    public int LabelCount { get; }

    /// <summary>The mask (B, m+L) on the host.</summary>
    internal int[] HostMask { get; }

    /// <summary>A batch for inference: the tokens' mask (B, L) row-major (1 = token), behind <paramref name="promptLength"/> prompt rows.</summary>
    /// <exception cref="ArgumentException">The mask is not (B, L) of zeros and ones, or an example has no token.</exception>
    public static CausalLmBatch Create(IBackend backend, ReadOnlySpan<int> mask, int batch, int length, int promptLength = 0) =>
        Build(backend, mask, [], batch, length, promptLength, 0);

    /// <summary>
    /// A training batch: the tokens' mask and labels, both (B, L) row-major and aligned with the tokens (a label is the
    /// token itself, or −100 where it is not scored, e.g. the source part and padding), behind the prompt rows.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree, a label is outside the vocabulary and not −100, or no label is scored.</exception>
    public static CausalLmBatch Create(IBackend backend, ReadOnlySpan<int> mask, ReadOnlySpan<int> labels, int batch, int length, int vocabSize, int promptLength = 0)
    {
        if (labels.Length != mask.Length)
            throw new ArgumentException($"labels hold {labels.Length} values; the mask (B={batch}, L={length}) holds {mask.Length}.", nameof(labels));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        return Build(backend, mask, labels, batch, length, promptLength, vocabSize);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ScoredLabels?.Dispose();
        ScoredRows?.Dispose();
        RowOffsets.Dispose();
        Positions.Dispose();
        Mask.Dispose();
    }

    private static CausalLmBatch Build(IBackend backend, ReadOnlySpan<int> mask, ReadOnlySpan<int> labels, int batch, int length, int promptLength, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfNegative(promptLength);
        if (mask.Length != (long)batch * length)
            throw new ArgumentException($"The mask holds {mask.Length} values; (B={batch}, L={length}) needs {(long)batch * length}.", nameof(mask));
        int total = promptLength + length;
        var fullMask = new int[batch * total];
        var positions = new int[batch * total];
        var offsets = new int[batch];
        var scoredRows = labels.IsEmpty ? null : new List<int>();
        var scoredLabels = new List<int>();
        for (int b = 0; b < batch; b++)
        {
            var exampleMask = mask.Slice(b * length, length);
            int tokens = 0;
            for (int i = 0; i < length; i++)
            {
                if (exampleMask[i] is not (0 or 1))
                    throw new ArgumentException($"Mask value {exampleMask[i]} of example {b} at position {i} is not 0 or 1.", nameof(mask));
                tokens += exampleMask[i];
            }
            if (tokens == 0) throw new ArgumentException($"Example {b} has no token (its mask is all zeros).", nameof(mask));
            offsets[b] = exampleMask.IndexOf(1);
            fullMask.AsSpan(b * total, promptLength).Fill(1);
            exampleMask.CopyTo(fullMask.AsSpan(b * total + promptLength));
            int seen = 0;
            for (int t = 0; t < total; t++)
            {
                seen += fullMask[b * total + t];
                positions[b * total + t] = fullMask[b * total + t] == 1 ? seen - 1 : 1;
            }
            if (scoredRows is null) continue;
            // row t predicts row t + 1: prompt rows' labels are −100, so the first scored row is the one before a scored token
            for (int t = 0; t < total; t++)
            {
                int next = t + 1 - promptLength;
                int label = t + 1 < total && next >= 0 ? labels[b * length + next] : IgnoreIndex;
                if (label != IgnoreIndex && (uint)label >= (uint)vocabSize)
                    throw new ArgumentException($"Label {label} of example {b} at position {next} is outside the vocabulary [0, {vocabSize}) and is not {IgnoreIndex}.", nameof(labels));
                if (label == IgnoreIndex) continue;
                scoredRows.Add(b * total + t);
                scoredLabels.Add(label);
            }
        }
        if (scoredRows is { Count: 0 })
            throw new ArgumentException($"No label is scored (every label after the first position is {IgnoreIndex}); the mean loss would divide by zero.", nameof(labels));

        var owned = new List<Tensor>();
        try
        {
            var maskTensor = Upload(backend, owned, fullMask, batch, total);
            var positionTensor = Upload(backend, owned, positions, batch, total);
            var offsetTensor = Upload(backend, owned, offsets, batch);
            var rowTensor = scoredRows is null ? null : Upload(backend, owned, [.. scoredRows], scoredRows.Count);
            var labelTensor = scoredRows is null ? null : Upload(backend, owned, [.. scoredLabels], scoredLabels.Count);
            return new CausalLmBatch(maskTensor, positionTensor, offsetTensor, rowTensor, labelTensor, fullMask, batch, total, promptLength, scoredLabels.Count);
        }
        catch
        {
            foreach (var tensor in owned) tensor.Dispose();
            throw;
        }
    }

    private static Tensor Upload(IBackend backend, List<Tensor> owned, int[] values, params int[] shape)
    {
        var tensor = backend.Allocate(DType.I32, shape);
        owned.Add(tensor);
        tensor.CopyFrom(values);
        return tensor;
    }
}
