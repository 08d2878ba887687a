using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>A norm's gain (d) and, for LayerNorm, its bias (d); RMS norms have no bias.</summary>
internal sealed record NormWeights(Tensor Weight, Tensor? Bias = null);
