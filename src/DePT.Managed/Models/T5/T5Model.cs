using DePT.Backends;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.T5;

/// <summary>
/// A frozen <c>T5ForConditionalGeneration</c> on one backend (CPU or CUDA, the same code): evaluation forward,
/// training forward with the loss and backward down to the encoder's inputs_embeds, and greedy generation with a
/// KV cache. The encoder takes inputs_embeds (B, T, d) and a key mask (B, T) I32, so a DePT step is
/// <see cref="IBackend.PromptInputForward"/> → <see cref="ForwardTraining"/> → <see cref="T5TrainingPass.Backward"/>
/// → <see cref="IBackend.PromptInputBackward"/>. Every tensor it returns is owned by the caller.
/// </summary>
public sealed class T5Model : IDisposable
{
    private readonly T5Stack _encoder;
    private readonly T5Stack _decoder;

    /// <summary>Wraps loaded weights; the model owns and disposes them.</summary>
    public T5Model(IBackend backend, T5Weights weights)
    {
        Backend = backend ?? throw new ArgumentNullException(nameof(backend));
        Weights = weights ?? throw new ArgumentNullException(nameof(weights));
        if (weights.Shared.Device != backend.Device)
            throw new ArgumentException($"The weights are on {weights.Shared.Device}; the backend runs on {backend.Device}.", nameof(weights));
        _encoder = new T5Stack(backend, Config, weights.Encoder, isDecoder: false);
        _decoder = new T5Stack(backend, Config, weights.Decoder, isDecoder: true);
    }

    /// <summary>The backend every op runs on.</summary>
    public IBackend Backend { get; }

    /// <summary>The weights.</summary>
    public T5Weights Weights { get; }

    /// <summary>The config.</summary>
    public T5Config Config => Weights.Config;

    /// <summary>The runtime dtype of weights and activations (statistics are F32).</summary>
    public DType DType => Weights.DType;

    /// <summary>The embedding matrix for <see cref="IBackend.PromptInputForward"/> (T5 does not scale embeddings: scale 1).</summary>
    public Tensor Embeddings => Weights.Shared;

    internal float DecoderOutputScale => 1f / MathF.Sqrt(Config.ModelDim);

    /// <summary>Loads a Hugging Face T5 folder (config.json + safetensors) onto <paramref name="backend"/> in <paramref name="dtype"/>.</summary>
    /// <inheritdoc cref="T5Weights.Load" path="/exception"/>
    public static T5Model Load(IBackend backend, string folder, DType dtype) => new(backend, T5Weights.Load(backend, folder, dtype));

    /// <summary>inputs_embeds (B, L, d) = shared[tokenIds (B, L)]: the plain input without a prompt.</summary>
    public Tensor EmbedTokens(Tensor tokenIds) => TokenEmbedding.Lookup(Backend, tokenIds, Weights.Shared, DType);

    /// <summary>The encoder's last hidden state (B, T, d) for inputs_embeds (B, T, d) and mask (B, T), in evaluation mode.</summary>
    public Tensor Encode(Tensor inputsEmbeds, Tensor mask)
    {
        var (batch, length) = ModelInputs.RequireEmbeddings(Backend, inputsEmbeds, Config.ModelDim);
        ModelInputs.RequireInt32(Backend, mask, batch, length, nameof(mask));
        return _encoder.Forward(inputsEmbeds, mask, null, null, DType, Eval, null);
    }

    /// <summary>Logits (B, T, V) for decoder input ids (B, T) I32, in evaluation mode.</summary>
    public Tensor ComputeLogits(Tensor inputsEmbeds, Tensor mask, Tensor decoderInputIds)
    {
        var (batch, length) = ModelInputs.RequireEmbeddings(Backend, inputsEmbeds, Config.ModelDim);
        ModelInputs.RequireInt32(Backend, mask, batch, length, nameof(mask));
        int targetLength = ModelInputs.RequireInt32Rows(Backend, decoderInputIds, batch, nameof(decoderInputIds));
        using var encoderOutput = _encoder.Forward(inputsEmbeds, mask, null, null, DType, Eval, null);
        using var decoderEmbeds = EmbedTokens(decoderInputIds);
        using var decoderOutput = _decoder.Forward(decoderEmbeds, null, encoderOutput, mask, DType, Eval, null);
        return LmHead(decoderOutput, batch, targetLength);
    }

    /// <summary>
    /// The training forward: encoder, decoder, LM head and the mean cross-entropy over labels that are not -100,
    /// with dropout per the config's <c>dropout_rate</c> when <paramref name="dropout"/> is enabled. Keeps what
    /// <see cref="T5TrainingPass.Backward"/> needs; <paramref name="mask"/> must stay alive until then.
    /// </summary>
    public T5TrainingPass ForwardTraining(Tensor inputsEmbeds, Tensor mask, T5Targets targets, DropoutSettings dropout)
    {
        var (batch, length) = ModelInputs.RequireEmbeddings(Backend, inputsEmbeds, Config.ModelDim);
        ModelInputs.RequireInt32(Backend, mask, batch, length, nameof(mask));
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Batch != batch)
            throw new ArgumentException($"The targets hold {targets.Batch} examples; inputsEmbeds {inputsEmbeds.ShapeText} holds {batch}.", nameof(targets));
        ModelInputs.RequireDevice(Backend, targets.Labels, nameof(targets));

        var sites = new DropoutSites(Backend, Config.DropoutRate, dropout);
        var encoderSaved = new PreNormStackSaved();
        var decoderSaved = new PreNormStackSaved();
        Tensor? encoderOutput = null, decoderEmbeds = null, decoderOutput = null, logits = null, losses = null;
        try
        {
            encoderOutput = _encoder.Forward(inputsEmbeds, mask, null, null, DType, sites, encoderSaved);
            decoderEmbeds = EmbedTokens(targets.DecoderInputIds);
            decoderOutput = _decoder.Forward(decoderEmbeds, null, encoderOutput, mask, DType, sites, decoderSaved);
            decoderEmbeds.Dispose();
            encoderOutput.Dispose();
            logits = LmHead(decoderOutput, batch * targets.Length);
            decoderOutput.Dispose();
            losses = Backend.Allocate(DType.F32, batch * targets.Length);
            Backend.SoftmaxCrossEntropy(losses, logits, targets.Labels, T5Targets.IgnoreIndex, 1f / targets.LabelCount);
            return new T5TrainingPass(this, _encoder, _decoder, sites, [batch, length, Config.ModelDim],
                encoderSaved, decoderSaved, logits, losses, targets.LabelCount);
        }
        catch
        {
            losses?.Dispose();
            logits?.Dispose();
            decoderOutput?.Dispose();
            decoderEmbeds?.Dispose();
            encoderOutput?.Dispose();
            decoderSaved.Dispose();
            encoderSaved.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Greedy decoding of up to <paramref name="maxNewTokens"/> tokens per example with a KV cache, as transformers'
    /// <c>generate(num_beams=1, do_sample=False)</c>: every row starts with <c>decoder_start_token_id</c>; a row ends
    /// when it emits <c>eos_token_id</c> and is filled with <c>pad_token_id</c> after; decoding stops when every row has
    /// ended. Returns (B, 1 + steps) ids, column 0 the start id.
    /// </summary>
    public int[,] Generate(Tensor inputsEmbeds, Tensor mask, int maxNewTokens)
    {
        var (batch, length) = ModelInputs.RequireEmbeddings(Backend, inputsEmbeds, Config.ModelDim);
        ModelInputs.RequireInt32(Backend, mask, batch, length, nameof(mask));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNewTokens);
        using var encoderOutput = _encoder.Forward(inputsEmbeds, mask, null, null, DType, Eval, null);
        return new T5Generator(this).Run(encoderOutput, mask, maxNewTokens);
    }

    /// <inheritdoc />
    public void Dispose() => Weights.Dispose();

    private DropoutSites Eval => new(Backend, 0, DropoutSettings.Off);

    /// <summary>Logits of the decoder output (scaled by d^-0.5 first when the config says so), shaped (leading dims…, V).</summary>
    internal Tensor LmHead(Tensor decoderOutput, params int[] leadingShape)
    {
        if (Config.ScaleDecoderOutputs) Backend.Scale(decoderOutput, decoderOutput, DecoderOutputScale);
        var logits = Backend.Allocate(DType, [.. leadingShape, Config.VocabSize]);
        try
        {
            Backend.Linear(logits, decoderOutput, Weights.LmHead, null);
            return logits;
        }
        catch
        {
            logits.Dispose();
            throw;
        }
    }
}
