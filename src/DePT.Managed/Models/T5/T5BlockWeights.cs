using DePT.Models.Runtime;

namespace DePT.Models.T5;

/// <summary>
/// One T5 block: pre-norm self-attention, (decoder only) pre-norm cross-attention over the encoder output, and the
/// pre-norm feed-forward block (its input projection holds [wi_0; wi_1] when gated).
/// </summary>
internal sealed record T5BlockWeights(
    NormWeights SelfAttentionNorm,
    AttentionWeights SelfAttention,
    NormWeights? CrossAttentionNorm,
    AttentionWeights? CrossAttention,
    NormWeights FeedForwardNorm,
    FeedForwardWeights FeedForward);
