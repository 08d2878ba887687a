using DePT.Tensors;

namespace DePT.Training;

/// <summary>A trained tensor and the gradient accumulated into it: both F32, the same shape, on the backend's device.</summary>
/// <param name="Name">The parameter's name, used in messages and checkpoints.</param>
/// <param name="Value">The parameter, updated in place by the optimiser.</param>
/// <param name="Gradient">Its gradient, read by the optimiser and zeroed after each step.</param>
public sealed record TrainableTensor(string Name, Tensor Value, Tensor Gradient);
