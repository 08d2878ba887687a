using DePT.Backends;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.Llama;

/// <summary>
/// One training forward of a <see cref="LlamaModel"/>: the loss is computed, the logits have been overwritten by their
/// gradient, and the activations the backward needs are held (<see cref="SavedBytes"/>). <see cref="Backward"/> returns
/// d(loss)/d(inputs_embeds) and releases the saved activations as it goes. The batch passed to the forward must stay
/// alive until then. Disposing releases whatever is still held.
/// </summary>
public sealed class LlamaTrainingPass : IDisposable
{
    private readonly LlamaModel _model;
    private readonly LlamaDecoder _decoder;
    private readonly CausalLmBatch _batch;
    private PreNormStackSaved? _saved;
    private Tensor? _dLogits;
    private Tensor? _losses;
    private float? _loss;

    internal LlamaTrainingPass(LlamaModel model, LlamaDecoder decoder, CausalLmBatch batch, PreNormStackSaved saved, Tensor dLogits, Tensor losses)
    {
        _model = model;
        _decoder = decoder;
        _batch = batch;
        _saved = saved;
        _dLogits = dLogits;
        _losses = losses;
        SavedBytes = saved.Bytes + dLogits.ByteSize + losses.ByteSize;
    }

    /// <summary>The number of labels the loss averages over.</summary>
    public int LabelCount => _batch.LabelCount;

    /// <summary>Bytes held for the backward after the forward: saved activations, the scored rows' logit gradient and their losses.</summary>
    public long SavedBytes { get; }

    /// <summary>
    /// The mean cross-entropy over the scored labels. Reading it copies the per-row losses to the host (on a GPU, a
    /// synchronisation), so read it after queueing <see cref="Backward"/> when timing matters.
    /// </summary>
    public float Loss => _loss ??= ReadLoss();

    /// <summary>
    /// d(loss)/d(inputs_embeds) (B, T, d) in the model's dtype, owned by the caller; prompt rows included, and exactly
    /// zero at masked rows. Can be called once.
    /// </summary>
    public Tensor Backward()
    {
        if (_dLogits is null || _saved is null)
            throw new InvalidOperationException("Backward was already run (or the pass disposed); run a new forward.");
        var backend = _model.Backend;
        using var dFinal = backend.Allocate(_model.DType, _batch.Batch, _batch.Length, _model.Config.HiddenSize);
        using (var dScored = backend.Allocate(_model.DType, _batch.LabelCount, _model.Config.HiddenSize))
        {
            backend.LinearBackwardInput(dScored, _dLogits, _model.Weights.LmHead);
            backend.GatherRowsBackward(dFinal, dScored, _batch.ScoredRows!);
        }
        _dLogits.Dispose();
        _dLogits = null;
        var dInputs = _decoder.Backward(dFinal, _saved, _batch.Positions);
        _saved.Dispose();
        _saved = null;
        return dInputs;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _dLogits?.Dispose();
        _saved?.Dispose();
        _losses?.Dispose();
        _dLogits = null;
        _saved = null;
        _losses = null;
    }

    private float ReadLoss()
    {
        var losses = (_losses ?? throw new ObjectDisposedException(nameof(LlamaTrainingPass))).ToFloatArray();
        double sum = 0;
        foreach (float value in losses) sum += value;
        return (float)(sum / LabelCount);
    }
}
