using DePT.Metrics;

namespace DePT.Checkpoints;

/// <summary>The step a checkpoint folder was written at and its evaluation metrics (empty when it was not evaluated).</summary>
/// <param name="Step">Optimiser steps taken when it was written.</param>
/// <param name="Metrics">The evaluation at that step.</param>
public sealed record CheckpointInfo(int Step, IReadOnlyDictionary<MetricKind, double> Metrics);
