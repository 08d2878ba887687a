using DePT.Backends;
using DePT.Tensors;

namespace DePT.Diagnostics;

/// <summary>The tensors of one uploaded <see cref="PromptInputData"/>; disposing releases all of them.</summary>
public sealed class PromptInputTensors : IDisposable
{
    private readonly List<Tensor> _owned = [];

    /// <summary>(B, L) I32.</summary>
    public Tensor TokenIds { get; internal set; } = null!;

    /// <summary>(V, d).</summary>
    public Tensor Embeddings { get; internal set; } = null!;

    /// <summary>(P, m, d) F32.</summary>
    public Tensor Prompt { get; internal set; } = null!;

    /// <summary>(P, s, r) F32 or null.</summary>
    public Tensor? LowRankA { get; internal set; }

    /// <summary>(P, r, d) F32 or null.</summary>
    public Tensor? LowRankB { get; internal set; }

    /// <summary>(B) I32 or null.</summary>
    public Tensor? PromptIndex { get; internal set; }

    /// <summary>(B, m+L, d) upstream gradient.</summary>
    public Tensor DInput { get; internal set; } = null!;

    /// <summary>The parameters in training form (vanilla when rank is 0).</summary>
    public PromptParameters Parameters(float lowRankScale) =>
        LowRankA is null ? PromptParameters.Vanilla(Prompt) : PromptParameters.Decomposed(Prompt, LowRankA, LowRankB!, lowRankScale);

    internal Tensor Track(Tensor tensor)
    {
        _owned.Add(tensor);
        return tensor;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}
