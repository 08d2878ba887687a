using DePT.Models.Runtime;

namespace DePT.Models.Llama;

/// <summary>
/// One decoder layer: pre-norm rotary self-attention (q, k, v, o; q/k/v biases in Qwen2) and the pre-norm SwiGLU
/// block, whose input projection holds [gate_proj; up_proj] stacked into one (2F, d) weight.
/// </summary>
internal sealed record LlamaLayerWeights(NormWeights InputNorm, AttentionWeights Attention, NormWeights PostAttentionNorm, FeedForwardWeights FeedForward);
