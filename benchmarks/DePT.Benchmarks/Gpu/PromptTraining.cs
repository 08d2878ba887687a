using DePT.Backends;
using DePT.Benchmarks.Plan;
using DePT.Models.Runtime;
using DePT.Tensors;
using DePT.Training;

namespace DePT.Benchmarks.Gpu;

/// <summary>
/// The trainable side of a PT or DePT row on the device: P (1, m, d), and for DePT A (1, s, r) ~ U(−1/√r, 1/√r) and
/// B (1, r, d) = 0, all F32 with their gradients; AdamW with the prompt group (lr 3e-1) and the low-rank group (lr 1e-4);
/// and for serving Δ = scale·A·B, computed once.
/// </summary>
internal sealed class PromptTraining : IDisposable
{
    /// <summary>The reference's prompt learning rate.</summary>
    public const float PromptLearningRate = 3e-1f;

    /// <summary>The reference's low-rank learning rate.</summary>
    public const float LowRankLearningRate = 1e-4f;

    private readonly List<Tensor> _tensors = [];
    private Tensor? _delta;

    public PromptTraining(IBackend backend, BenchMethod method, int modelDim, int maxLength, ulong seed)
    {
        if (!method.HasPrompt) throw new ArgumentException($"{method} trains no prompt.", nameof(method));
        Backend = backend;
        Method = method;
        try
        {
            var prompt = Own(backend.Allocate(DType.F32, 1, method.PromptLength, modelDim));
            var dPrompt = Own(backend.Allocate(DType.F32, 1, method.PromptLength, modelDim));
            DeviceRandom.FillUniform(backend, prompt, -0.5f, 0.5f, seed, stream: 0);
            var groups = new List<ParameterGroup> { new("prompt", PromptLearningRate, [new TrainableTensor("prompt_embeddings", prompt, dPrompt)]) };
            if (method.Rank > 0)
            {
                var a = Own(backend.Allocate(DType.F32, 1, maxLength, method.Rank));
                var b = Own(backend.Allocate(DType.F32, 1, method.Rank, modelDim));
                var dA = Own(backend.Allocate(DType.F32, 1, maxLength, method.Rank));
                var dB = Own(backend.Allocate(DType.F32, 1, method.Rank, modelDim));
                float bound = 1f / MathF.Sqrt(method.Rank);
                DeviceRandom.FillUniform(backend, a, -bound, bound, seed, stream: 1);
                backend.Fill(b, 0f);
                Parameters = PromptParameters.Decomposed(prompt, a, b, method.LowRankScale);
                Gradients = new PromptGradients(dPrompt, dA, dB);
                groups.Add(new ParameterGroup("low-rank", LowRankLearningRate,
                    [new TrainableTensor("lora_embedding_A", a, dA), new TrainableTensor("lora_embedding_B", b, dB)]));
            }
            else
            {
                Parameters = PromptParameters.Vanilla(prompt);
                Gradients = new PromptGradients(dPrompt);
            }
            Optimizer = new AdamW(backend, groups, new AdamWSettings());
            Optimizer.ZeroGradients();
        }
        catch
        {
            DisposeTensors();
            throw;
        }
    }

    public IBackend Backend { get; }

    public BenchMethod Method { get; }

    /// <summary>The training form: P, or P with A, B and the scale.</summary>
    public PromptParameters Parameters { get; }

    /// <summary>The gradients PromptInputBackward accumulates into; AdamW.Step zeroes them.</summary>
    public PromptGradients Gradients { get; }

    public AdamW Optimizer { get; }

    /// <summary>The serving form: P with the precomputed Δ (1, s, d) for DePT; P alone for PT.</summary>
    public PromptParameters Serving()
    {
        if (Method.Rank == 0) return Parameters;
        if (_delta is null)
        {
            var a = Parameters.LowRankA!;
            _delta = Own(Backend.Allocate(DType.F32, 1, a.Dim(1), Parameters.Prompt.Dim(2)));
            Backend.LowRankDelta(_delta, a, Parameters.LowRankB!, Parameters.LowRankScale);
        }
        return PromptParameters.WithDelta(Parameters.Prompt, _delta);
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        DisposeTensors();
    }

    private Tensor Own(Tensor tensor)
    {
        _tensors.Add(tensor);
        return tensor;
    }

    private void DisposeTensors()
    {
        foreach (var tensor in _tensors) tensor.Dispose();
        _tensors.Clear();
    }
}
