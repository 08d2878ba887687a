using DePT.Tensors;

namespace DePT.Backends;

/// <summary>Accumulated gradients of <see cref="PromptParameters"/>: dPrompt (P, m, d), and dA (P, s, r), dB (P, r, d) when the rank is above 0.</summary>
public readonly record struct PromptGradients(Tensor DPrompt, Tensor? DLowRankA = null, Tensor? DLowRankB = null);
