using DePT.Models.Bert;

namespace DePT.Models.MiniLm;

/// <summary>Shape and numerics of a BERT encoder, with the values of all-MiniLM-L6-v2 as defaults
/// (those of its Hugging Face config.json).</summary>
/// <param name="HiddenSize">Model width d.</param>
/// <param name="NumLayers">Encoder layers.</param>
/// <param name="NumHeads">Attention heads per layer.</param>
/// <param name="IntermediateSize">Width of the feed-forward layer.</param>
/// <param name="VocabSize">Rows of the word embedding table.</param>
/// <param name="MaxPositions">Rows of the position embedding table (longest input).</param>
/// <param name="TypeVocabSize">Rows of the token type embedding table.</param>
/// <param name="LayerNormEpsilon">Epsilon added to the variance in every LayerNorm.</param>
/// <param name="HiddenAct">Feed-forward activation; <c>gelu</c> is the exact erf form.</param>
public sealed record MiniLmConfig(
    int HiddenSize = 384,
    int NumLayers = 6,
    int NumHeads = 12,
    int IntermediateSize = 1536,
    int VocabSize = 30522,
    int MaxPositions = 512,
    int TypeVocabSize = 2,
    float LayerNormEpsilon = 1e-12f,
    string HiddenAct = "gelu")
{
    /// <summary>sentence-transformers/all-MiniLM-L6-v2.</summary>
    public static MiniLmConfig AllMiniLmL6V2 { get; } = new();

    /// <summary>Width of one attention head.</summary>
    public int HeadSize => HiddenSize / NumHeads;

    /// <summary>Every weight of a Hugging Face BertModel with this config and its shape, in
    /// (out, in) layout for linear weights; the pooler is listed separately as it is optional.</summary>
    public IReadOnlyDictionary<string, int[]> ExpectedEncoderShapes() => BertWeights.RequiredShapes(ToBertConfig());

    /// <summary>The pooler's weights (dense layer on the first token, then tanh) and their shapes.</summary>
    public IReadOnlyDictionary<string, int[]> ExpectedPoolerShapes() => BertWeights.PoolerShapes(ToBertConfig());

    /// <summary>The <see cref="BertConfig"/> of these values, through the same parser and checks as a config.json.</summary>
    public BertConfig ToBertConfig()
    {
        string json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model_type"] = "bert",
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = NumLayers,
            ["num_attention_heads"] = NumHeads,
            ["intermediate_size"] = IntermediateSize,
            ["max_position_embeddings"] = MaxPositions,
            ["type_vocab_size"] = TypeVocabSize,
            ["layer_norm_eps"] = (double)LayerNormEpsilon,
            ["hidden_act"] = HiddenAct,
        });
        return (BertConfig)ModelConfig.Parse(json, nameof(MiniLmConfig));
    }
}
