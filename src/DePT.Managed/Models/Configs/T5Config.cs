namespace DePT.Models;

/// <summary>
/// A T5 config (v1.0 with ReLU, v1.1/FLAN/mT5 with gated GELU). Absent optional fields take transformers'
/// defaults; the sizes must be present. Inner attention width is <see cref="NumHeads"/> × <see cref="HeadDim"/>,
/// which T5 does not require to equal <see cref="ModelDim"/>.
/// </summary>
public sealed class T5Config : ModelConfig
{
    internal T5Config(ConfigJsonReader reader, string modelType) : base(reader, modelType)
    {
        ModelDim = reader.RequiredPositiveInt("d_model");
        HeadDim = reader.RequiredPositiveInt("d_kv");
        FeedForwardDim = reader.RequiredPositiveInt("d_ff");
        NumLayers = reader.RequiredPositiveInt("num_layers");
        NumDecoderLayers = reader.OptionalPositiveInt("num_decoder_layers", NumLayers);
        NumHeads = reader.RequiredPositiveInt("num_heads");
        RelativeAttentionNumBuckets = reader.OptionalPositiveInt("relative_attention_num_buckets", 32);
        RelativeAttentionMaxDistance = reader.OptionalPositiveInt("relative_attention_max_distance", 128);
        DropoutRate = reader.OptionalProbability("dropout_rate", 0.1);
        LayerNormEpsilon = reader.OptionalPositiveDouble("layer_norm_epsilon", 1e-6);
        FeedForwardProj = reader.OptionalString("feed_forward_proj") ?? "relu";
        (IsGatedFeedForward, FeedForwardActivation) = ParseFeedForwardProj(reader, FeedForwardProj);
        TieWordEmbeddings = reader.OptionalBool("tie_word_embeddings", true);
        ScaleDecoderOutputs = reader.OptionalBool("scale_decoder_outputs", TieWordEmbeddings);
        PadTokenId = reader.OptionalTokenId("pad_token_id", 0, VocabSize);
        EosTokenId = reader.OptionalTokenId("eos_token_id", 1, VocabSize);
        DecoderStartTokenId = reader.OptionalTokenId("decoder_start_token_id", PadTokenId, VocabSize);
    }

    /// <summary><c>d_model</c>: the width of the residual stream and embeddings.</summary>
    public int ModelDim { get; }

    /// <summary><c>d_kv</c>: the width of one attention head.</summary>
    public int HeadDim { get; }

    /// <summary><c>d_ff</c>: the feed-forward block's inner width.</summary>
    public int FeedForwardDim { get; }

    /// <summary><c>num_layers</c>: encoder blocks.</summary>
    public int NumLayers { get; }

    /// <summary><c>num_decoder_layers</c>: decoder blocks; <see cref="NumLayers"/> when absent.</summary>
    public int NumDecoderLayers { get; }

    /// <summary><c>num_heads</c>: attention heads per layer.</summary>
    public int NumHeads { get; }

    /// <summary><c>relative_attention_num_buckets</c> (default 32).</summary>
    public int RelativeAttentionNumBuckets { get; }

    /// <summary><c>relative_attention_max_distance</c> (default 128): distances beyond share the last bucket.</summary>
    public int RelativeAttentionMaxDistance { get; }

    /// <summary><c>dropout_rate</c> (default 0.1).</summary>
    public double DropoutRate { get; }

    /// <summary><c>layer_norm_epsilon</c> of the RMS norms (default 1e-6).</summary>
    public double LayerNormEpsilon { get; }

    /// <summary><c>feed_forward_proj</c> as written (default <c>relu</c>), e.g. <c>gated-gelu</c>.</summary>
    public string FeedForwardProj { get; }

    /// <summary>Whether the feed-forward block is gated (<c>gated-</c> prefix): act(x·wi_0) ⊙ (x·wi_1).</summary>
    public bool IsGatedFeedForward { get; }

    /// <summary>The feed-forward activation; <c>gated-gelu</c> means <see cref="ActivationFunction.GeluTanh"/>, as in transformers.</summary>
    public ActivationFunction FeedForwardActivation { get; }

    /// <summary><c>tie_word_embeddings</c> (default true): the LM head is the shared embedding, and the decoder output is scaled by d_model^-0.5.</summary>
    public bool TieWordEmbeddings { get; }

    /// <summary>
    /// Whether the decoder output is multiplied by d_model^-0.5 before the LM head: <c>scale_decoder_outputs</c>, which
    /// transformers 5.x writes, or else <see cref="TieWordEmbeddings"/> (the rule of older checkpoints). Kept apart
    /// because a 5.x config can say tied yet unscaled.
    /// </summary>
    public bool ScaleDecoderOutputs { get; }

    /// <summary><c>pad_token_id</c> (default 0).</summary>
    public int PadTokenId { get; }

    /// <summary><c>eos_token_id</c> (default 1).</summary>
    public int EosTokenId { get; }

    /// <summary><c>decoder_start_token_id</c>; <see cref="PadTokenId"/> when absent, as T5 starts decoding from the pad token.</summary>
    public int DecoderStartTokenId { get; }

    /// <summary>Follows transformers: "act" or "gated-act"; "gated-gelu" is the tanh GELU.</summary>
    private static (bool Gated, ActivationFunction Activation) ParseFeedForwardProj(ConfigJsonReader reader, string value)
    {
        string[] parts = value.Split('-');
        bool gated = parts.Length == 2 && parts[0] == "gated";
        if (parts.Length > 2 || (parts.Length == 2 && !gated))
        {
            throw reader.Error("feed_forward_proj", $"is '{value}'; expected 'act' or 'gated-act' with act one of {ActivationNames.Supported}.");
        }
        if (value == "gated-gelu")
        {
            return (true, ActivationFunction.GeluTanh);
        }
        return ActivationNames.TryParse(parts[^1], out var activation)
            ? (gated, activation)
            : throw reader.Error("feed_forward_proj", $"is '{value}', whose activation '{parts[^1]}' is not one of {ActivationNames.Supported}.");
    }
}
