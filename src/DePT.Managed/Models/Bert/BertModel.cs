using DePT.Backends;
using DePT.Models.MiniLm;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.Bert;

/// <summary>
/// A frozen BERT-style encoder (Hugging Face <c>BertModel</c>, e.g. all-MiniLM-L6-v2) on one backend: evaluation and
/// training forward, backward down to inputs_embeds, pooling. The encoder takes inputs_embeds (B, T, d) (word
/// embeddings only: positions and token types are added inside, position t for row t, prompt rows included) and a key
/// mask (B, T) I32, so a DePT step is <see cref="IBackend.PromptInputForward"/> → <see cref="ForwardTraining"/> →
/// <see cref="BertTrainingPass.Backward"/> → <see cref="IBackend.PromptInputBackward"/>.
/// </summary>
public sealed class BertModel : IDisposable
{
    private readonly BertEncoder _encoder;

    /// <summary>Wraps loaded weights; the model owns and disposes them.</summary>
    public BertModel(IBackend backend, BertWeights weights)
    {
        Backend = backend ?? throw new ArgumentNullException(nameof(backend));
        Weights = weights ?? throw new ArgumentNullException(nameof(weights));
        if (weights.WordEmbeddings.Device != backend.Device)
            throw new ArgumentException($"The weights are on {weights.WordEmbeddings.Device}; the backend runs on {backend.Device}.", nameof(weights));
        _encoder = new BertEncoder(backend, weights);
    }

    /// <summary>The backend every op runs on.</summary>
    public IBackend Backend { get; }

    /// <summary>The weights.</summary>
    public BertWeights Weights { get; }

    /// <summary>The config.</summary>
    public BertConfig Config => Weights.Config;

    /// <summary>The runtime dtype of weights and activations.</summary>
    public DType DType => Weights.DType;

    /// <summary>The word-embedding matrix for <see cref="IBackend.PromptInputForward"/> (scale 1).</summary>
    public Tensor Embeddings => Weights.WordEmbeddings;

    /// <summary>Loads a Hugging Face BERT folder onto <paramref name="backend"/>.</summary>
    /// <inheritdoc cref="BertWeights.Load" path="/exception"/>
    public static BertModel Load(IBackend backend, string folder, DType dtype) => new(backend, BertWeights.Load(backend, folder, dtype));

    /// <summary>all-MiniLM-L6-v2 from its mapped ONNX weights.</summary>
    public static BertModel FromMiniLm(IBackend backend, MiniLmWeights weights, DType dtype) => new(backend, BertWeights.FromMiniLm(backend, weights, dtype));

    /// <summary>inputs_embeds (B, L, d) = word_embeddings[tokenIds (B, L)]: the plain input without a prompt.</summary>
    public Tensor EmbedTokens(Tensor tokenIds) => TokenEmbedding.Lookup(Backend, tokenIds, Weights.WordEmbeddings, DType);

    /// <summary>Evaluation forward; the pooled output when <paramref name="withPooler"/> (requires the pooler weights).</summary>
    /// <param name="inputsEmbeds">(B, T, d) with T ≤ max_position_embeddings.</param>
    /// <param name="mask">(B, T) I32; 0 masks a key.</param>
    /// <param name="tokenTypeIds">(B, T) I32, or null for type 0 everywhere.</param>
    /// <param name="withPooler">Also compute tanh(W·h[:, 0] + b).</param>
    public BertOutput Forward(Tensor inputsEmbeds, Tensor mask, Tensor? tokenTypeIds = null, bool withPooler = false)
    {
        CheckInputs(inputsEmbeds, mask, tokenTypeIds, withPooler);
        var (hidden, pooled) = _encoder.Forward(inputsEmbeds, mask, tokenTypeIds, withPooler, Eval, null);
        return new BertOutput(hidden, pooled);
    }

    /// <summary>
    /// Training forward with hidden dropout per the config's <c>hidden_dropout_prob</c> when <paramref name="dropout"/>
    /// is enabled; keeps what the backward needs. <paramref name="mask"/> must stay alive until the backward.
    /// </summary>
    public BertTrainingPass ForwardTraining(Tensor inputsEmbeds, Tensor mask, Tensor? tokenTypeIds, bool withPooler, DropoutSettings dropout)
    {
        CheckInputs(inputsEmbeds, mask, tokenTypeIds, withPooler);
        var sites = new DropoutSites(Backend, Config.HiddenDropoutProb, dropout);
        var saved = new BertSaved();
        try
        {
            var (hidden, pooled) = _encoder.Forward(inputsEmbeds, mask, tokenTypeIds, withPooler, sites, saved);
            return new BertTrainingPass(_encoder, sites, mask, saved, hidden, pooled);
        }
        catch
        {
            saved.Dispose();
            throw;
        }
    }

    /// <summary>One vector per example (B, d): the mean over unmasked positions, or the first position.</summary>
    public Tensor Pool(Tensor hidden, Tensor mask, PoolingKind kind)
    {
        var (batch, length) = ModelInputs.RequireEmbeddings(Backend, hidden, Config.HiddenSize, nameof(hidden));
        ModelInputs.RequireInt32(Backend, mask, batch, length, nameof(mask));
        var output = Backend.Allocate(hidden.DType, batch, Config.HiddenSize);
        try
        {
            Backend.Pool(output, hidden, mask, kind);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Weights.Dispose();

    private DropoutSites Eval => new(Backend, 0, DropoutSettings.Off);

    private void CheckInputs(Tensor inputsEmbeds, Tensor mask, Tensor? tokenTypeIds, bool withPooler)
    {
        var (batch, length) = ModelInputs.RequireEmbeddings(Backend, inputsEmbeds, Config.HiddenSize);
        if (length > Config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(inputsEmbeds),
                $"inputsEmbeds {inputsEmbeds.ShapeText} has T={length} positions (prompt rows included), beyond max_position_embeddings={Config.MaxPositionEmbeddings} of '{Config.SourcePath}'; truncate the input to {Config.MaxPositionEmbeddings} positions including the prompt.");
        ModelInputs.RequireInt32(Backend, mask, batch, length, nameof(mask));
        if (tokenTypeIds is not null) ModelInputs.RequireInt32(Backend, tokenTypeIds, batch, length, nameof(tokenTypeIds));
        if (withPooler && !Weights.HasPooler)
            throw new InvalidOperationException($"The pooled output was asked for, but the weights of '{Config.SourcePath}' have no pooler (pooler.dense.weight/bias).");
    }
}
