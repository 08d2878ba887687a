namespace DePT.Models.Runtime;

/// <summary>
/// A feed-forward block: input projection (F, d), or (2F, d) holding [gate; up] rows when gated, then the
/// activation, then the output projection (d, F).
/// </summary>
internal sealed record FeedForwardWeights(LinearWeights Input, LinearWeights Output, ActivationFunction Activation, bool Gated)
{
    /// <summary>F: the width after the activation.</summary>
    public int InnerDim => Gated ? Input.OutFeatures / 2 : Input.OutFeatures;
}
