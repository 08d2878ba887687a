namespace DePT.Models.Runtime;

/// <summary>What a weight is, which decides how a random model initialises it.</summary>
internal enum WeightKind
{
    /// <summary>A linear layer's (out, in) matrix.</summary>
    Linear,

    /// <summary>A linear layer's bias.</summary>
    LinearBias,

    /// <summary>A norm's gain.</summary>
    NormGain,

    /// <summary>A LayerNorm's bias.</summary>
    NormBias,

    /// <summary>An embedding table (vocabulary, positions, token types).</summary>
    Embedding,

    /// <summary>T5's relative-position bias table (buckets, heads).</summary>
    PositionBiasTable,
}
