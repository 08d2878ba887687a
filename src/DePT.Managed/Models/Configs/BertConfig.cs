namespace DePT.Models;

/// <summary>
/// A BERT-style encoder config (e.g. all-MiniLM-L6-v2). Absent optional fields take transformers' defaults;
/// the sizes must be present, and the hidden size must split evenly over the heads. Only absolute position
/// embeddings are accepted, since the relative variants change the attention computation.
/// </summary>
public sealed class BertConfig : ModelConfig
{
    internal BertConfig(ConfigJsonReader reader, string modelType) : base(reader, modelType)
    {
        HiddenSize = reader.RequiredPositiveInt("hidden_size");
        NumHiddenLayers = reader.RequiredPositiveInt("num_hidden_layers");
        NumAttentionHeads = reader.RequiredPositiveInt("num_attention_heads");
        if (HiddenSize % NumAttentionHeads != 0)
        {
            throw reader.Error("num_attention_heads",
                $"is {NumAttentionHeads}, which does not divide hidden_size {HiddenSize}.");
        }
        IntermediateSize = reader.RequiredPositiveInt("intermediate_size");
        HiddenActName = reader.OptionalString("hidden_act") ?? "gelu";
        HiddenAct = ActivationNames.TryParse(HiddenActName, out var activation)
            ? activation
            : throw reader.Error("hidden_act", $"is '{HiddenActName}'; supported: {ActivationNames.Supported}.");
        HiddenDropoutProb = reader.OptionalProbability("hidden_dropout_prob", 0.1);
        AttentionProbsDropoutProb = reader.OptionalProbability("attention_probs_dropout_prob", 0.1);
        MaxPositionEmbeddings = reader.OptionalPositiveInt("max_position_embeddings", 512);
        TypeVocabSize = reader.OptionalPositiveInt("type_vocab_size", 2);
        LayerNormEps = reader.OptionalPositiveDouble("layer_norm_eps", 1e-12);
        PadTokenId = reader.OptionalTokenId("pad_token_id", 0, VocabSize);
        string positionEmbeddingType = reader.OptionalString("position_embedding_type") ?? "absolute";
        if (positionEmbeddingType != "absolute")
        {
            throw reader.Error("position_embedding_type", $"is '{positionEmbeddingType}'; only 'absolute' is supported.");
        }
    }

    /// <summary><c>hidden_size</c>: the width of the residual stream and embeddings.</summary>
    public int HiddenSize { get; }

    /// <summary><c>num_hidden_layers</c>: encoder blocks.</summary>
    public int NumHiddenLayers { get; }

    /// <summary><c>num_attention_heads</c>: heads per layer.</summary>
    public int NumAttentionHeads { get; }

    /// <summary>The width of one head: <see cref="HiddenSize"/> / <see cref="NumAttentionHeads"/>.</summary>
    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary><c>intermediate_size</c>: the feed-forward block's inner width.</summary>
    public int IntermediateSize { get; }

    /// <summary><c>hidden_act</c> as written (default <c>gelu</c>).</summary>
    public string HiddenActName { get; }

    /// <summary>The feed-forward activation: <c>gelu</c> is the erf GELU, <c>gelu_new</c>/<c>gelu_pytorch_tanh</c> the tanh one.</summary>
    public ActivationFunction HiddenAct { get; }

    /// <summary><c>hidden_dropout_prob</c> (default 0.1).</summary>
    public double HiddenDropoutProb { get; }

    /// <summary><c>attention_probs_dropout_prob</c> (default 0.1).</summary>
    public double AttentionProbsDropoutProb { get; }

    /// <summary><c>max_position_embeddings</c> (default 512): the longest input, prompt included.</summary>
    public int MaxPositionEmbeddings { get; }

    /// <summary><c>type_vocab_size</c> (default 2): rows of the token-type embedding.</summary>
    public int TypeVocabSize { get; }

    /// <summary><c>layer_norm_eps</c> (default 1e-12).</summary>
    public double LayerNormEps { get; }

    /// <summary><c>pad_token_id</c> (default 0).</summary>
    public int PadTokenId { get; }
}
