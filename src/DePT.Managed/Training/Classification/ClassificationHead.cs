using DePT.Backends;
using DePT.Prompts;
using DePT.Tensors;

namespace DePT.Training.Classification;

/// <summary>
/// A trainable linear classifier logits (B, C) = pooled (B, d) · Wᵀ + b on a backend: W (C, d) and b (C) F32 with
/// their gradients. W starts Xavier-uniform (bound √(6 / (d + C))) from a seed, b at zero, as torch's
/// xavier_uniform_ and zeros_ would. Gradients are accumulated (+=) by <see cref="Backward"/> and zeroed by the optimiser.
/// </summary>
public sealed class ClassificationHead : IDisposable
{
    /// <summary>The name of the optimiser group holding W and b.</summary>
    public const string GroupName = "head";

    /// <summary>Allocates W (Xavier-uniform by <paramref name="seed"/>), b = 0 and zero gradients on <paramref name="backend"/>.</summary>
    /// <param name="backend">Where the tensors live.</param>
    /// <param name="inputDim">d, the width of the pooled vector.</param>
    /// <param name="classCount">C ≥ 2.</param>
    /// <param name="seed">Seed of W's uniform draw.</param>
    public ClassificationHead(IBackend backend, int inputDim, int classCount, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputDim);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        Backend = backend;
        InputDim = inputDim;
        ClassCount = classCount;
        var tensors = new List<Tensor>(4);
        try
        {
            Weight = Zeros(tensors, classCount, inputDim);
            Bias = Zeros(tensors, classCount);
            WeightGradient = Zeros(tensors, classCount, inputDim);
            BiasGradient = Zeros(tensors, classCount);
        }
        catch
        {
            foreach (var tensor in tensors) tensor.Dispose();
            throw;
        }
        float bound = MathF.Sqrt(6f / (inputDim + classCount));
        var random = new SeededRandom(seed);
        var values = new float[Weight.Length];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextSingle(-bound, bound);
        Weight.CopyFrom(values);
    }

    /// <summary>The backend the tensors live on.</summary>
    public IBackend Backend { get; }

    /// <summary>d.</summary>
    public int InputDim { get; }

    /// <summary>C.</summary>
    public int ClassCount { get; }

    /// <summary>W (C, d) F32, as Hugging Face stores a Linear weight.</summary>
    public Tensor Weight { get; }

    /// <summary>b (C) F32.</summary>
    public Tensor Bias { get; }

    /// <summary>dW (C, d) F32, accumulated.</summary>
    public Tensor WeightGradient { get; }

    /// <summary>db (C) F32, accumulated.</summary>
    public Tensor BiasGradient { get; }

    /// <summary>Trainable parameters: C·d + C.</summary>
    public long TrainableParameterCount => (long)ClassCount * InputDim + ClassCount;

    /// <summary>W and b under <paramref name="learningRate"/>, as the group <see cref="GroupName"/>.</summary>
    public ParameterGroup OptimizerGroup(float learningRate) =>
        new(GroupName, learningRate, [new TrainableTensor("head.weight", Weight, WeightGradient), new TrainableTensor("head.bias", Bias, BiasGradient)]);

    /// <summary>logits (B, C) = pooled (B, d) · Wᵀ + b.</summary>
    public void Forward(Tensor logits, Tensor pooled) => Backend.Linear(logits, pooled, Weight, Bias);

    /// <summary>dW += dLogitsᵀ · pooled, db += Σ dLogits; then dPooled (B, d) = dLogits · W (assigned) when asked for.</summary>
    /// <param name="dPooled">Where d loss/d pooled goes, or null when nothing below the head trains.</param>
    /// <param name="dLogits">d loss/d logits (B, C).</param>
    /// <param name="pooled">The forward's input (B, d).</param>
    public void Backward(Tensor? dPooled, Tensor dLogits, Tensor pooled)
    {
        Backend.LinearBackwardWeight(WeightGradient, BiasGradient, dLogits, pooled);
        if (dPooled is not null) Backend.LinearBackwardInput(dPooled, dLogits, Weight);
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Weight.Dispose();
        Bias.Dispose();
        WeightGradient.Dispose();
        BiasGradient.Dispose();
    }

    private Tensor Zeros(List<Tensor> owned, params int[] shape)
    {
        var tensor = Backend.Allocate(DType.F32, shape);
        owned.Add(tensor);
        Backend.Fill(tensor, 0f);
        return tensor;
    }
}
