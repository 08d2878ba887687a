using DePT.Metrics;

namespace DePT.Checkpoints;

/// <summary>The step a checkpoint folder was written at and its evaluation metrics (empty when it was not evaluated).</summary>
/// <param name="Step">Optimiser steps taken when it was written.</param>
/// <param name="Metrics">The evaluation at that step.</param>
/// <param name="TrainingDataSha256">SHA-256 over the training examples (see <see cref="Training.Trainer.Fingerprint"/>), or null when not recorded.</param>
public sealed record CheckpointInfo(int Step, IReadOnlyDictionary<MetricKind, double> Metrics, string? TrainingDataSha256 = null);
