using DePT.Backends;
using DePT.Benchmarks.Plan;
using DePT.Models.Llama;
using DePT.Tensors;

namespace DePT.Benchmarks.Gpu;

/// <summary>
/// One causal-LM batch on the device for a LLaMA row: random source ids (B, s) and target ids (B, t) drawn from ids ≥ 3;
/// the training sequence source + target (B, s + t) with labels on the target only, behind the method's prompt rows; and
/// the source alone behind the prompt, for generation.
/// </summary>
internal sealed class CausalLmTrainingBatch : IDisposable
{
    private CausalLmTrainingBatch(Tensor sequenceIds, CausalLmBatch training, Tensor sourceIds, CausalLmBatch generation)
    {
        SequenceIds = sequenceIds;
        Training = training;
        SourceIds = sourceIds;
        Generation = generation;
    }

    /// <summary>Source + target ids (B, s + t) I32.</summary>
    public Tensor SequenceIds { get; }

    /// <summary>Mask, positions and labels of the training sequence behind the prompt.</summary>
    public CausalLmBatch Training { get; }

    /// <summary>Source ids (B, s) I32.</summary>
    public Tensor SourceIds { get; }

    /// <summary>Mask and positions of the source behind the prompt.</summary>
    public CausalLmBatch Generation { get; }

    public static CausalLmTrainingBatch Create(IBackend backend, LlamaShape shape, int batch, int promptLength, int seed)
    {
        const int firstOrdinaryId = 3;
        int s = shape.InputLength, t = shape.TargetLength;
        var random = new Random(seed);
        var sequence = new int[batch * (s + t)];
        for (int i = 0; i < sequence.Length; i++) sequence[i] = random.Next(firstOrdinaryId, shape.VocabSize);
        var labels = sequence.Select((id, i) => i % (s + t) >= s ? id : CausalLmBatch.IgnoreIndex).ToArray();
        var source = new int[batch * s];
        for (int b = 0; b < batch; b++) sequence.AsSpan(b * (s + t), s).CopyTo(source.AsSpan(b * s));

        var owned = new List<IDisposable>();
        try
        {
            var sequenceIds = Upload(backend, owned, sequence, batch, s + t);
            var training = Own(owned, CausalLmBatch.Create(backend, Enumerable.Repeat(1, sequence.Length).ToArray(), labels, batch, s + t, shape.VocabSize, promptLength));
            var sourceIds = Upload(backend, owned, source, batch, s);
            var generation = Own(owned, CausalLmBatch.Create(backend, Enumerable.Repeat(1, source.Length).ToArray(), batch, s, promptLength));
            return new CausalLmTrainingBatch(sequenceIds, training, sourceIds, generation);
        }
        catch
        {
            foreach (var item in owned) item.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Generation.Dispose();
        SourceIds.Dispose();
        Training.Dispose();
        SequenceIds.Dispose();
    }

    private static Tensor Upload(IBackend backend, List<IDisposable> owned, int[] values, params int[] shape)
    {
        var tensor = Own(owned, backend.Allocate(DType.I32, shape));
        tensor.CopyFrom(values);
        return tensor;
    }

    private static T Own<T>(List<IDisposable> owned, T item) where T : IDisposable
    {
        owned.Add(item);
        return item;
    }
}
