using DePT.Backends;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.Llama;

/// <summary>
/// A frozen LLaMA-family causal LM (<c>LlamaForCausalLM</c>, <c>MistralForCausalLM</c>, <c>Qwen2ForCausalLM</c>) on one
/// backend (CPU or CUDA, the same code): logits, the training forward with the causal-LM loss and the backward down to
/// inputs_embeds, and batched generation with a KV cache. Inputs are inputs_embeds (B, T, d) with a
/// <see cref="CausalLmBatch"/> (mask, positions, labels), so a DePT step is <see cref="IBackend.PromptInputForward"/>
/// (with the batch's row offsets) → <see cref="ForwardTraining"/> → <see cref="LlamaTrainingPass.Backward"/> →
/// <see cref="IBackend.PromptInputBackward"/>. Every tensor it returns is owned by the caller.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    private readonly LlamaDecoder _decoder;

    /// <summary>Wraps loaded weights; the model owns and disposes them.</summary>
    public LlamaModel(IBackend backend, LlamaWeights weights)
    {
        Backend = backend ?? throw new ArgumentNullException(nameof(backend));
        Weights = weights ?? throw new ArgumentNullException(nameof(weights));
        if (weights.Embeddings.Device != backend.Device)
            throw new ArgumentException($"The weights are on {weights.Embeddings.Device}; the backend runs on {backend.Device}.", nameof(weights));
        _decoder = new LlamaDecoder(backend, weights);
    }

    /// <summary>The backend every op runs on.</summary>
    public IBackend Backend { get; }

    /// <summary>The weights.</summary>
    public LlamaWeights Weights { get; }

    /// <summary>The config.</summary>
    public LlamaConfig Config => Weights.Config;

    /// <summary>The runtime dtype of weights and activations (statistics are F32).</summary>
    public DType DType => Weights.DType;

    /// <summary>The token embeddings (V, d) for <see cref="IBackend.PromptInputForward"/> (unscaled: scale 1).</summary>
    public Tensor Embeddings => Weights.Embeddings;

    /// <summary>Loads a Hugging Face Llama, Mistral or Qwen2 folder (config.json + safetensors, sharded or not) onto <paramref name="backend"/> in <paramref name="dtype"/>.</summary>
    /// <inheritdoc cref="LlamaWeights.Load" path="/exception"/>
    public static LlamaModel Load(IBackend backend, string folder, DType dtype) => new(backend, LlamaWeights.Load(backend, folder, dtype));

    /// <summary>inputs_embeds (B, L, d) = embed_tokens[tokenIds (B, L)]: the plain input without a prompt.</summary>
    public Tensor EmbedTokens(Tensor tokenIds) => TokenEmbedding.Lookup(Backend, tokenIds, Weights.Embeddings, DType);

    /// <summary>Logits (B, T, V) for inputs_embeds (B, T, d), in evaluation mode.</summary>
    public Tensor ComputeLogits(Tensor inputsEmbeds, CausalLmBatch batch)
    {
        var (size, length) = RequireInputs(inputsEmbeds, batch);
        using var final = _decoder.Forward(inputsEmbeds, batch.Mask, batch.Positions, null);
        return LmHead(final, size, length);
    }

    /// <summary>
    /// The training forward: decoder, then the LM head and the mean cross-entropy on the scored rows only (each against the
    /// next row's label; labels −100 and prompt rows are not scored, so their logits are never made). Keeps what
    /// <see cref="LlamaTrainingPass.Backward"/> needs; <paramref name="batch"/> must stay alive until then.
    /// </summary>
    public LlamaTrainingPass ForwardTraining(Tensor inputsEmbeds, CausalLmBatch batch)
    {
        var (size, length) = RequireInputs(inputsEmbeds, batch);
        if (batch.ScoredRows is not { } rows || batch.ScoredLabels is not { } labels)
            throw new ArgumentException("The batch has no labels; create it with labels for training.", nameof(batch));
        var saved = new PreNormStackSaved();
        Tensor? final = null, scored = null, logits = null, losses = null;
        try
        {
            final = _decoder.Forward(inputsEmbeds, batch.Mask, batch.Positions, saved);
            scored = Backend.Allocate(DType, batch.LabelCount, Config.HiddenSize);
            Backend.GatherRows(scored, final, rows);
            final.Dispose();
            logits = LmHead(scored, batch.LabelCount);
            scored.Dispose();
            losses = Backend.Allocate(DType.F32, batch.LabelCount);
            Backend.SoftmaxCrossEntropy(losses, logits, labels, CausalLmBatch.IgnoreIndex, 1f / batch.LabelCount);
            return new LlamaTrainingPass(this, _decoder, batch, saved, logits, losses);
        }
        catch
        {
            losses?.Dispose();
            logits?.Dispose();
            scored?.Dispose();
            final?.Dispose();
            saved.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Batched generation with a KV cache from left-padded inputs_embeds (B, T, d) (every example's last row a real
    /// token; prompt rows in front as <see cref="CausalLmBatch"/> places them): greedy or sampled per
    /// <paramref name="options"/>, each new token at the position after its example's last. Returns (B, steps) new ids;
    /// decoding stops when every row has ended or after <see cref="GenerationOptions.MaxNewTokens"/>.
    /// </summary>
    public int[,] Generate(Tensor inputsEmbeds, CausalLmBatch batch, GenerationOptions options)
    {
        RequireInputs(inputsEmbeds, batch, extraLength: options?.MaxNewTokens ?? 0);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        for (int b = 0; b < batch.Batch; b++)
            if (batch.HostMask[(b + 1) * batch.Length - 1] == 0)
                throw new ArgumentException($"Example {b} ends with padding; generation needs left-padded inputs (each example's last row a token).", nameof(batch));
        return new LlamaGenerator(this, _decoder).Run(inputsEmbeds, batch, options);
    }

    /// <inheritdoc />
    public void Dispose() => Weights.Dispose();

    /// <summary>Logits of final-norm outputs, shaped (leading dims…, V).</summary>
    internal Tensor LmHead(Tensor final, params int[] leadingShape)
    {
        var logits = Backend.Allocate(DType, [.. leadingShape, Config.VocabSize]);
        try
        {
            Backend.Linear(logits, final, Weights.LmHead, null);
            return logits;
        }
        catch
        {
            logits.Dispose();
            throw;
        }
    }

    private (int Batch, int Length) RequireInputs(Tensor inputsEmbeds, CausalLmBatch batch, int extraLength = 0)
    {
        var (size, length) = ModelInputs.RequireEmbeddings(Backend, inputsEmbeds, Config.HiddenSize);
        ArgumentNullException.ThrowIfNull(batch);
        ModelInputs.RequireDevice(Backend, batch.Mask, nameof(batch));
        if (batch.Batch != size || batch.Length != length)
            throw new ArgumentException($"The batch is (B={batch.Batch}, T={batch.Length}); inputsEmbeds {inputsEmbeds.ShapeText} is (B={size}, T={length}).", nameof(batch));
        if (Config.SlidingWindow is int window && length + extraLength > window)
            throw new NotSupportedException($"{length + extraLength} positions exceed the sliding attention window of {window} ('{Config.SourcePath}'); windowed attention is not implemented.");
        return (size, length);
    }
}
