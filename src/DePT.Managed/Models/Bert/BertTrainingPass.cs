using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.Bert;

/// <summary>
/// One training forward of a <see cref="BertModel"/>: its outputs, and the activations the backward needs
/// (<see cref="SavedBytes"/>). The loss is the caller's (a task head, or a probe in tests): <see cref="Backward"/>
/// takes d loss/d last_hidden_state and optionally d loss/d pooler_output and returns d loss/d inputs_embeds.
/// The outputs belong to the pass; the mask given to the forward must stay alive until the backward.
/// </summary>
public sealed class BertTrainingPass : IDisposable
{
    private readonly BertEncoder _encoder;
    private readonly DropoutSites _dropout;
    private readonly Tensor _mask;
    private BertSaved? _saved;

    internal BertTrainingPass(BertEncoder encoder, DropoutSites dropout, Tensor mask, BertSaved saved, Tensor lastHiddenState, Tensor? pooledOutput)
    {
        _encoder = encoder;
        _dropout = dropout;
        _mask = mask;
        _saved = saved;
        LastHiddenState = lastHiddenState;
        PooledOutput = pooledOutput;
        SavedBytes = saved.Bytes + (pooledOutput?.ByteSize ?? 0);
    }

    /// <summary>(B, T, d).</summary>
    public Tensor LastHiddenState { get; }

    /// <summary>(B, d), or null without the pooler.</summary>
    public Tensor? PooledOutput { get; }

    /// <summary>Bytes held for the backward after the forward (the outputs themselves excluded, the pooled output included as tanh's backward reads it).</summary>
    public long SavedBytes { get; }

    /// <summary>d inputs_embeds (B, T, d) in the model dtype, owned by the caller. Can be called once.</summary>
    /// <param name="dLastHiddenState">d loss/d last_hidden_state (B, T, d).</param>
    /// <param name="dPooledOutput">d loss/d pooler_output (B, d), or null when the loss does not use it.</param>
    public Tensor Backward(Tensor dLastHiddenState, Tensor? dPooledOutput = null)
    {
        var saved = _saved ?? throw new InvalidOperationException("Backward was already run (or the pass disposed); run a new forward.");
        ArgumentNullException.ThrowIfNull(dLastHiddenState);
        if (!dLastHiddenState.Shape.SequenceEqual(LastHiddenState.Shape) || !dLastHiddenState.DType.IsFloatingPoint())
            throw new ArgumentException($"dLastHiddenState is {dLastHiddenState.ShapeText}; the output is {LastHiddenState.ShapeText}.", nameof(dLastHiddenState));
        if (dPooledOutput is not null)
        {
            if (PooledOutput is null)
                throw new ArgumentException("A pooled-output gradient was given, but the forward ran without the pooler.", nameof(dPooledOutput));
            if (!dPooledOutput.Shape.SequenceEqual(PooledOutput.Shape))
                throw new ArgumentException($"dPooledOutput is {dPooledOutput.ShapeText}; the pooled output is {PooledOutput.ShapeText}.", nameof(dPooledOutput));
        }
        var dInputs = _encoder.Backward(dLastHiddenState, dPooledOutput, _mask, saved, _dropout);
        saved.Dispose();
        _saved = null;
        return dInputs;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _saved?.Dispose();
        _saved = null;
        PooledOutput?.Dispose();
        LastHiddenState.Dispose();
    }
}
