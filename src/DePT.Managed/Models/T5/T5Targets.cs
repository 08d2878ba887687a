using DePT.Backends;
using DePT.Tensors;

namespace DePT.Models.T5;

/// <summary>
/// The decoder side of a T5 training batch on a backend: labels (B·T) I32 with <see cref="IgnoreIndex"/> for
/// positions that do not count, the decoder input ids (B, T) I32 (the labels shifted right, as transformers builds
/// them), and the number of counted labels, which the mean cross-entropy divides by.
/// </summary>
public sealed class T5Targets : IDisposable
{
    /// <summary>The label value that is not scored (transformers' -100).</summary>
    public const int IgnoreIndex = -100;

    private T5Targets(Tensor decoderInputIds, Tensor labels, int batch, int length, int labelCount)
    {
        DecoderInputIds = decoderInputIds;
        Labels = labels;
        Batch = batch;
        Length = length;
        LabelCount = labelCount;
    }

    /// <summary>Decoder input ids (B, T) I32.</summary>
    public Tensor DecoderInputIds { get; }

    /// <summary>Labels (B·T) I32, row-major over (B, T).</summary>
    public Tensor Labels { get; }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>T, the decoder length.</summary>
    public int Length { get; }

    /// <summary>Labels that are not <see cref="IgnoreIndex"/>.</summary>
    public int LabelCount { get; }

    /// <summary>Uploads labels (B, T) row-major and the decoder inputs made from them by <see cref="ShiftRight"/>.</summary>
    /// <exception cref="ArgumentException">A label is outside the vocabulary and not -100, or every label is -100.</exception>
    public static T5Targets FromLabels(IBackend backend, T5Config config, ReadOnlySpan<int> labels, int batch, int length)
    {
        ArgumentNullException.ThrowIfNull(config);
        int[] decoderInputIds = ShiftRight(labels, batch, length, config.DecoderStartTokenId, config.PadTokenId);
        return Create(backend, labels, decoderInputIds, batch, length, config.VocabSize);
    }

    /// <summary>Uploads labels and explicit decoder input ids, both (B, T) row-major.</summary>
    /// <exception cref="ArgumentException">Lengths disagree, an id or label is outside the vocabulary, or every label is -100.</exception>
    public static T5Targets Create(IBackend backend, ReadOnlySpan<int> labels, ReadOnlySpan<int> decoderInputIds, int batch, int length, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(backend);
        CheckSize(labels.Length, batch, length, nameof(labels));
        CheckSize(decoderInputIds.Length, batch, length, nameof(decoderInputIds));
        int count = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] == IgnoreIndex) continue;
            if ((uint)labels[i] >= (uint)vocabSize)
                throw new ArgumentException($"Label {labels[i]} of example {i / length} at position {i % length} is outside the vocabulary [0, {vocabSize}) and is not {IgnoreIndex}.", nameof(labels));
            count++;
        }
        if (count == 0) throw new ArgumentException($"Every one of the {labels.Length} labels is {IgnoreIndex}; the mean loss would divide by zero.", nameof(labels));
        for (int i = 0; i < decoderInputIds.Length; i++)
            if ((uint)decoderInputIds[i] >= (uint)vocabSize)
                throw new ArgumentException($"Decoder input id {decoderInputIds[i]} of example {i / length} at position {i % length} is outside the vocabulary [0, {vocabSize}).", nameof(decoderInputIds));

        Tensor? ids = null, labelTensor = null;
        try
        {
            ids = backend.Allocate(DType.I32, batch, length);
            ids.CopyFrom(decoderInputIds);
            labelTensor = backend.Allocate(DType.I32, batch * length);
            labelTensor.CopyFrom(labels);
            return new T5Targets(ids, labelTensor, batch, length, count);
        }
        catch
        {
            labelTensor?.Dispose();
            ids?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// transformers' <c>_shift_right</c>: each row starts with <paramref name="decoderStartTokenId"/>, followed by the
    /// labels without their last one, with -100 replaced by <paramref name="padTokenId"/>.
    /// </summary>
    public static int[] ShiftRight(ReadOnlySpan<int> labels, int batch, int length, int decoderStartTokenId, int padTokenId)
    {
        CheckSize(labels.Length, batch, length, nameof(labels));
        var result = new int[labels.Length];
        for (int b = 0; b < batch; b++)
        {
            result[b * length] = decoderStartTokenId;
            for (int t = 1; t < length; t++)
            {
                int label = labels[b * length + t - 1];
                result[b * length + t] = label == IgnoreIndex ? padTokenId : label;
            }
        }
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Labels.Dispose();
        DecoderInputIds.Dispose();
    }

    private static void CheckSize(int count, int batch, int length, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        if (count != (long)batch * length)
            throw new ArgumentException($"{name} holds {count} values; (B={batch}, T={length}) needs {(long)batch * length}.", name);
    }
}
