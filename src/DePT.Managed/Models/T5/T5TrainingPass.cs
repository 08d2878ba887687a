using DePT.Backends;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.T5;

/// <summary>
/// One training forward of a <see cref="T5Model"/>: the loss is computed, the logits have been overwritten by their
/// gradient, and the activations the backward needs are held (<see cref="SavedBytes"/>). <see cref="Backward"/>
/// returns d(loss)/d(inputs_embeds) and releases the saved activations as it goes. The encoder mask passed to the
/// forward must stay alive until then. Disposing releases whatever is still held.
/// </summary>
public sealed class T5TrainingPass : IDisposable
{
    private readonly T5Model _model;
    private readonly T5Stack _encoder;
    private readonly T5Stack _decoder;
    private readonly DropoutSites _dropout;
    private readonly int[] _encoderShape;
    private PreNormStackSaved? _encoderSaved;
    private PreNormStackSaved? _decoderSaved;
    private Tensor? _dLogits;
    private Tensor? _losses;
    private float? _loss;

    internal T5TrainingPass(T5Model model, T5Stack encoder, T5Stack decoder, DropoutSites dropout, int[] encoderShape,
        PreNormStackSaved encoderSaved, PreNormStackSaved decoderSaved, Tensor dLogits, Tensor losses, int labelCount)
    {
        _model = model;
        _encoder = encoder;
        _decoder = decoder;
        _dropout = dropout;
        _encoderShape = encoderShape;
        _encoderSaved = encoderSaved;
        _decoderSaved = decoderSaved;
        _dLogits = dLogits;
        _losses = losses;
        LabelCount = labelCount;
        SavedBytes = encoderSaved.Bytes + decoderSaved.Bytes + dLogits.ByteSize + losses.ByteSize;
    }

    /// <summary>The number of labels the loss averages over.</summary>
    public int LabelCount { get; }

    /// <summary>Bytes held for the backward after the forward: saved activations, the logits' gradient and the per-row losses.</summary>
    public long SavedBytes { get; }

    /// <summary>
    /// The mean cross-entropy over the counted labels. Reading it copies the per-row losses to the host (on a GPU,
    /// a synchronisation), so read it after queueing <see cref="Backward"/> when timing matters.
    /// </summary>
    public float Loss => _loss ??= ReadLoss();

    /// <summary>
    /// d(loss)/d(inputs_embeds) (B, T, d) in the model's dtype, owned by the caller; prompt positions included, and
    /// exactly zero at masked positions. Can be called once.
    /// </summary>
    public Tensor Backward()
    {
        if (_dLogits is null || _encoderSaved is null || _decoderSaved is null)
            throw new InvalidOperationException("Backward was already run (or the pass disposed); run a new forward.");
        var backend = _model.Backend;
        var dtype = _model.DType;
        var decoderShape = _decoderSaved.FinalInput!.Shape.ToArray();
        Tensor? dDecoderOutput = null, dEncoderOutput = null;
        try
        {
            dDecoderOutput = backend.Allocate(dtype, decoderShape);
            backend.LinearBackwardInput(dDecoderOutput, _dLogits, _model.Weights.LmHead);
            if (_model.Config.ScaleDecoderOutputs) backend.Scale(dDecoderOutput, dDecoderOutput, _model.DecoderOutputScale);
            _dLogits.Dispose();
            _dLogits = null;

            dEncoderOutput = backend.Allocate(dtype, _encoderShape);
            _decoder.Backward(dDecoderOutput, _decoderSaved, _dropout, dEncoderOutput);
            dDecoderOutput.Dispose();
            _decoderSaved.Dispose();
            _decoderSaved = null;

            var dInputs = _encoder.Backward(dEncoderOutput, _encoderSaved, _dropout, null)!;
            dEncoderOutput.Dispose();
            _encoderSaved.Dispose();
            _encoderSaved = null;
            return dInputs;
        }
        catch
        {
            dEncoderOutput?.Dispose();
            dDecoderOutput?.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _dLogits?.Dispose();
        _decoderSaved?.Dispose();
        _encoderSaved?.Dispose();
        _losses?.Dispose();
        _dLogits = null;
        _decoderSaved = null;
        _encoderSaved = null;
        _losses = null;
    }

    private float ReadLoss()
    {
        var losses = (_losses ?? throw new ObjectDisposedException(nameof(T5TrainingPass))).ToFloatArray();
        double sum = 0;
        foreach (float value in losses) sum += value;
        return (float)(sum / LabelCount);
    }
}
