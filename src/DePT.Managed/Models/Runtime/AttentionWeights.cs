namespace DePT.Models.Runtime;

/// <summary>The four projections of a multi-head attention layer; inner width = query heads × head width (key and value: their heads × head width).</summary>
internal sealed record AttentionWeights(LinearWeights Query, LinearWeights Key, LinearWeights Value, LinearWeights Output)
{
    public int InnerDim => Query.OutFeatures;
}
