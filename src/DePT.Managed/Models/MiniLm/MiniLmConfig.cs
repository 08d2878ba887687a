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
    public IReadOnlyDictionary<string, int[]> ExpectedEncoderShapes()
    {
        int d = HiddenSize;
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal)
        {
            ["embeddings.word_embeddings.weight"] = [VocabSize, d],
            ["embeddings.position_embeddings.weight"] = [MaxPositions, d],
            ["embeddings.token_type_embeddings.weight"] = [TypeVocabSize, d],
            ["embeddings.LayerNorm.weight"] = [d],
            ["embeddings.LayerNorm.bias"] = [d],
        };
        for (int i = 0; i < NumLayers; i++)
        {
            string layer = $"encoder.layer.{i}.";
            foreach (string projection in new[] { "query", "key", "value" })
            {
                shapes[$"{layer}attention.self.{projection}.weight"] = [d, d];
                shapes[$"{layer}attention.self.{projection}.bias"] = [d];
            }
            shapes[layer + "attention.output.dense.weight"] = [d, d];
            shapes[layer + "attention.output.dense.bias"] = [d];
            shapes[layer + "attention.output.LayerNorm.weight"] = [d];
            shapes[layer + "attention.output.LayerNorm.bias"] = [d];
            shapes[layer + "intermediate.dense.weight"] = [IntermediateSize, d];
            shapes[layer + "intermediate.dense.bias"] = [IntermediateSize];
            shapes[layer + "output.dense.weight"] = [d, IntermediateSize];
            shapes[layer + "output.dense.bias"] = [d];
            shapes[layer + "output.LayerNorm.weight"] = [d];
            shapes[layer + "output.LayerNorm.bias"] = [d];
        }
        return shapes;
    }

    /// <summary>The pooler's weights (dense layer on the first token, then tanh) and their shapes.</summary>
    public IReadOnlyDictionary<string, int[]> ExpectedPoolerShapes() => new Dictionary<string, int[]>(StringComparer.Ordinal)
    {
        ["pooler.dense.weight"] = [HiddenSize, HiddenSize],
        ["pooler.dense.bias"] = [HiddenSize],
    };
}
