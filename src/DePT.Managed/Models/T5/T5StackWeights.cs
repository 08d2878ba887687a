using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.T5;

/// <summary>The encoder or decoder stack: its blocks, the relative-position bias table (buckets, H) of its block 0, shared by all its blocks, and its final RMS norm.</summary>
internal sealed record T5StackWeights(T5BlockWeights[] Blocks, Tensor RelativeAttentionBias, NormWeights FinalNorm);
