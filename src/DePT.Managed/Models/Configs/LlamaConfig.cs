namespace DePT.Models;

/// <summary>
/// A decoder-only LLaMA-family config: <c>llama</c> (Llama 2 and 3), <c>mistral</c> and <c>qwen2</c>. Pre-norm blocks
/// of RMS norm, rotary self-attention with grouped-query heads (<see cref="NumKeyValueHeads"/> key/value heads shared
/// by <see cref="NumHeads"/> query heads) and a SwiGLU feed-forward block. Qwen2 always has q/k/v biases; Llama has
/// biases on all four projections when <c>attention_bias</c> is set. Rotary parameters come from transformers 5.x's
/// <c>rope_parameters</c> or, in older files, <c>rope_theta</c> with <c>rope_scaling</c>.
/// </summary>
public sealed class LlamaConfig : ModelConfig
{
    internal LlamaConfig(ConfigJsonReader reader, string modelType) : base(reader, modelType)
    {
        HiddenSize = reader.RequiredPositiveInt("hidden_size");
        IntermediateSize = reader.RequiredPositiveInt("intermediate_size");
        NumLayers = reader.RequiredPositiveInt("num_hidden_layers");
        NumHeads = reader.RequiredPositiveInt("num_attention_heads");
        NumKeyValueHeads = reader.OptionalPositiveInt("num_key_value_heads", NumHeads);
        if (NumHeads % NumKeyValueHeads != 0)
            throw reader.Error("num_key_value_heads", $"is {NumKeyValueHeads}, which does not divide num_attention_heads={NumHeads}.");
        if (!reader.Has("head_dim") && HiddenSize % NumHeads != 0)
            throw reader.Error("num_attention_heads", $"is {NumHeads}, which does not divide hidden_size={HiddenSize} (and head_dim is not given).");
        HeadDim = reader.OptionalPositiveInt("head_dim", HiddenSize / NumHeads);
        if (HeadDim % 2 != 0) throw reader.Error("head_dim", $"is {HeadDim}; rotary embeddings need an even head width.");
        string activation = reader.OptionalString("hidden_act") ?? "silu";
        HiddenActivation = ActivationNames.TryParse(activation, out var parsed)
            ? parsed
            : throw reader.Error("hidden_act", $"is '{activation}', not one of {ActivationNames.Supported}.");
        RmsNormEpsilon = reader.OptionalPositiveDouble("rms_norm_eps", 1e-6);
        MaxPositionEmbeddings = reader.OptionalPositiveInt("max_position_embeddings", 2048);
        Rope = ReadRope(reader);
        TieWordEmbeddings = reader.OptionalBool("tie_word_embeddings", false);
        bool attentionBias = reader.OptionalBool("attention_bias", false);
        HasQueryKeyValueBias = modelType == "qwen2" || attentionBias;
        HasOutputBias = modelType != "qwen2" && attentionBias;
        if (reader.OptionalBool("mlp_bias", false))
            throw reader.Error("mlp_bias", "is true; feed-forward biases are not supported (no released Llama, Mistral or Qwen2 checkpoint has them).");
        bool windowed = modelType == "mistral" || reader.OptionalBool("use_sliding_window", false);
        SlidingWindow = windowed && reader.Has("sliding_window") ? reader.OptionalPositiveInt("sliding_window", 1) : null;
        BosTokenId = reader.OptionalTokenIds("bos_token_id", VocabSize).FirstOrDefault(-1);
        EosTokenIds = reader.OptionalTokenIds("eos_token_id", VocabSize);
        PadTokenId = reader.OptionalTokenIds("pad_token_id", VocabSize).FirstOrDefault(-1);
    }

    /// <summary><c>hidden_size</c>: the width of the residual stream and embeddings.</summary>
    public int HiddenSize { get; }

    /// <summary><c>intermediate_size</c>: the feed-forward block's inner width F (gate and up are F × d each).</summary>
    public int IntermediateSize { get; }

    /// <summary><c>num_hidden_layers</c>: decoder blocks.</summary>
    public int NumLayers { get; }

    /// <summary><c>num_attention_heads</c>: query heads.</summary>
    public int NumHeads { get; }

    /// <summary><c>num_key_value_heads</c> (default: <see cref="NumHeads"/>): key/value heads, each shared by NumHeads/NumKeyValueHeads query heads.</summary>
    public int NumKeyValueHeads { get; }

    /// <summary><c>head_dim</c> (default hidden_size / num_attention_heads): the width of one head.</summary>
    public int HeadDim { get; }

    /// <summary><c>hidden_act</c> of the gate (default <c>silu</c>, which makes the block SwiGLU).</summary>
    public ActivationFunction HiddenActivation { get; }

    /// <summary><c>rms_norm_eps</c> (default 1e-6).</summary>
    public double RmsNormEpsilon { get; }

    /// <summary><c>max_position_embeddings</c> (default 2048): the context length the model was trained for.</summary>
    public int MaxPositionEmbeddings { get; }

    /// <summary>Rotary base and frequency scaling.</summary>
    public RopeScaling Rope { get; }

    /// <summary><c>tie_word_embeddings</c> (default false): the LM head is the token embedding matrix.</summary>
    public bool TieWordEmbeddings { get; }

    /// <summary>Whether q, k and v projections have biases (Qwen2 always; Llama with <c>attention_bias</c>).</summary>
    public bool HasQueryKeyValueBias { get; }

    /// <summary>Whether the output projection has a bias (Llama with <c>attention_bias</c>).</summary>
    public bool HasOutputBias { get; }

    /// <summary>Mistral's (or Qwen2's, with <c>use_sliding_window</c>) attention window; null when attention is global. Sequences longer than it are refused.</summary>
    public int? SlidingWindow { get; }

    /// <summary><c>bos_token_id</c>, or −1 when absent.</summary>
    public int BosTokenId { get; }

    /// <summary><c>eos_token_id</c>: one id or several (Llama 3 instruct ends on either of two); empty when absent.</summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    /// <summary><c>pad_token_id</c>, or −1 when absent (Llama has none).</summary>
    public int PadTokenId { get; }

    /// <summary>Query width H·dh.</summary>
    public int QueryWidth => NumHeads * HeadDim;

    /// <summary>Key and value width H_kv·dh.</summary>
    public int KeyValueWidth => NumKeyValueHeads * HeadDim;

    private static RopeScaling ReadRope(ConfigJsonReader reader)
    {
        // transformers 5.x nests everything under rope_parameters; older files keep rope_theta at the top level and
        // the scaling (keyed "rope_type" or, older still, "type") under rope_scaling.
        var parameters = reader.OptionalObject("rope_parameters");
        var scaling = parameters ?? reader.OptionalObject("rope_scaling");
        double theta = parameters is not null && parameters.Has("rope_theta")
            ? parameters.OptionalPositiveDouble("rope_theta", 10000)
            : reader.OptionalPositiveDouble("rope_theta", 10000);
        if (scaling is null) return new RopeScaling(theta);
        string typeField = scaling.Has("rope_type") ? "rope_type" : "type";
        string type = scaling.OptionalString(typeField) ?? "default";
        return type switch
        {
            "default" => new RopeScaling(theta),
            "linear" => new RopeScaling(theta, RopeScalingKind.Linear, scaling.RequiredPositiveDouble("factor")),
            "llama3" => Llama3(scaling, theta),
            _ => throw scaling.Error(typeField, $"is '{type}'; supported rotary scalings: default, linear, llama3."),
        };
    }

    private static RopeScaling Llama3(ConfigJsonReader scaling, double theta)
    {
        var rope = new RopeScaling(theta, RopeScalingKind.Llama3, scaling.RequiredPositiveDouble("factor"),
            scaling.RequiredPositiveDouble("low_freq_factor"), scaling.RequiredPositiveDouble("high_freq_factor"),
            scaling.RequiredPositiveInt("original_max_position_embeddings"));
        if (rope.HighFrequencyFactor <= rope.LowFrequencyFactor)
            throw scaling.Error("high_freq_factor", $"is {rope.HighFrequencyFactor}; it must exceed low_freq_factor={rope.LowFrequencyFactor}.");
        return rope;
    }
}
