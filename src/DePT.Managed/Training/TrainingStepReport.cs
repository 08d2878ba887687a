namespace DePT.Training;

/// <summary>One step as <see cref="ITrainingObserver.OnStep"/> sees it.</summary>
/// <param name="Step">Steps done, 1-based (this one included).</param>
/// <param name="TotalSteps">Steps of the whole run.</param>
/// <param name="Loss">This step's mean loss.</param>
/// <param name="LearningRates">Each optimiser group's learning rate this step used (after the schedule).</param>
/// <param name="TokensPerSecond">Tokens (padding included) per second since this invocation started.</param>
/// <param name="Elapsed">Wall time since this invocation started.</param>
/// <param name="Remaining">Estimated time to the last step at this invocation's pace.</param>
public sealed record TrainingStepReport(int Step, int TotalSteps, float Loss, IReadOnlyList<(string Group, float LearningRate)> LearningRates,
    double TokensPerSecond, TimeSpan Elapsed, TimeSpan Remaining);
