using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>Where an attention block applies rotary embeddings: positions (B, T) I32 and the inverse frequencies (dh/2) F32.</summary>
internal readonly record struct RotaryPositions(Tensor Positions, Tensor InverseFrequencies);
