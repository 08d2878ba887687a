using DePT.Backends;
using DePT.Models;
using DePT.Models.Runtime;
using DePT.Models.T5;
using DePT.Tensors;

namespace DePT.Benchmarks.Gpu;

/// <summary>
/// One training batch on the device: random token ids (B, L) right-padded, the encoder mask with the prompt's leading ones
/// (B, m+L), and random labels ending in EOS. L is the input length, or the longest example with dynamic padding.
/// </summary>
internal sealed class TrainingBatch : IDisposable
{
    private TrainingBatch(Tensor tokenIds, Tensor mask, T5Targets targets, int length)
    {
        TokenIds = tokenIds;
        Mask = mask;
        Targets = targets;
        Length = length;
    }

    /// <summary>Token ids (B, L) I32.</summary>
    public Tensor TokenIds { get; }

    /// <summary>Key mask (B, m+L) I32: m ones, then 1 for each real token.</summary>
    public Tensor Mask { get; }

    /// <summary>Labels and decoder inputs.</summary>
    public T5Targets Targets { get; }

    /// <summary>L, the padded token length.</summary>
    public int Length { get; }

    /// <summary>
    /// <paramref name="count"/> batches drawn from <paramref name="seed"/>: every example <paramref name="maxLength"/> long, or
    /// with <paramref name="dynamic"/> each example's length uniform in [<paramref name="minLength"/>, maxLength] and the batch
    /// padded to its longest.
    /// </summary>
    public static List<TrainingBatch> CreateMany(IBackend backend, T5Config config, int count, int batch, int promptLength, int maxLength,
        int minLength, bool dynamic, int targetLength, int seed)
    {
        var random = new Random(seed);
        var batches = new List<TrainingBatch>(count);
        try
        {
            for (int i = 0; i < count; i++)
                batches.Add(Create(backend, config, random, batch, promptLength, maxLength, minLength, dynamic, targetLength));
            return batches;
        }
        catch
        {
            foreach (var b in batches) b.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Targets.Dispose();
        Mask.Dispose();
        TokenIds.Dispose();
    }

    private static TrainingBatch Create(IBackend backend, T5Config config, Random random, int batch, int promptLength, int maxLength, int minLength,
        bool dynamic, int targetLength)
    {
        // Ids 2.. avoid pad (0) and EOS (1), so every unmasked token is an ordinary one.
        const int firstOrdinaryId = 2;
        var lengths = new int[batch];
        for (int b = 0; b < batch; b++) lengths[b] = dynamic ? random.Next(minLength, maxLength + 1) : maxLength;
        int length = lengths.Max();
        var ids = new int[batch * length];
        var mask = new int[batch * length];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < length; t++)
            {
                bool real = t < lengths[b];
                ids[b * length + t] = real ? random.Next(firstOrdinaryId, config.VocabSize) : config.PadTokenId;
                mask[b * length + t] = real ? 1 : 0;
            }
        }
        var labels = new int[batch * targetLength];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = i % targetLength == targetLength - 1 ? config.EosTokenId : random.Next(firstOrdinaryId, config.VocabSize);

        Tensor? idTensor = null, maskTensor = null;
        try
        {
            idTensor = backend.Allocate(DType.I32, batch, length);
            idTensor.CopyFrom(ids);
            maskTensor = backend.Allocate(DType.I32, batch, promptLength + length);
            maskTensor.CopyFrom(AttentionMasks.WithPromptRows(mask, batch, length, promptLength));
            var targets = T5Targets.FromLabels(backend, config, labels, batch, targetLength);
            return new TrainingBatch(idTensor, maskTensor, targets, length);
        }
        catch
        {
            maskTensor?.Dispose();
            idTensor?.Dispose();
            throw;
        }
    }
}
