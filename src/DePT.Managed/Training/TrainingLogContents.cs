using DePT.Metrics;

namespace DePT.Training;

/// <summary>What <see cref="TrainingLog.Read"/> found: the loss of each step (NaN where it was not finite) and each evaluation.</summary>
/// <param name="Losses">(step, loss) in file order.</param>
/// <param name="Evaluations">(step, metrics) in file order.</param>
public sealed record TrainingLogContents(IReadOnlyList<(int Step, double Loss)> Losses, IReadOnlyList<(int Step, IReadOnlyDictionary<MetricKind, double> Metrics)> Evaluations);
