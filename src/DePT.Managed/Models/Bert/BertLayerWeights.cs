using DePT.Models.Runtime;

namespace DePT.Models.Bert;

/// <summary>One post-norm BERT layer: self-attention (with biases), its output LayerNorm, the feed-forward block and its output LayerNorm.</summary>
internal sealed record BertLayerWeights(AttentionWeights Attention, NormWeights AttentionNorm, FeedForwardWeights FeedForward, NormWeights OutputNorm);
