namespace DePT.Training;

/// <summary>Parameters trained with one learning rate (before the schedule), e.g. the prompt or the low-rank pair.</summary>
/// <param name="Name">The group's name, used in messages.</param>
/// <param name="LearningRate">The group's peak learning rate.</param>
/// <param name="Parameters">The tensors of the group.</param>
public sealed record ParameterGroup(string Name, float LearningRate, IReadOnlyList<TrainableTensor> Parameters);
