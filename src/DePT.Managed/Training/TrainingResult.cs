using DePT.Metrics;

namespace DePT.Training;

/// <summary>What a <see cref="Trainer"/> run did.</summary>
/// <param name="Outcome">How it ended.</param>
/// <param name="Step">Optimiser steps taken in total (the resumed ones included).</param>
/// <param name="BestMetric">The best value of the selection metric, or null when nothing was evaluated.</param>
/// <param name="BestStep">The step of <c>best/</c>, or null.</param>
/// <param name="LastLoss">The loss of the last step run (the non-finite one for <see cref="TrainingOutcome.NonFiniteLoss"/>).</param>
/// <param name="LastEvaluation">The metrics of the last evaluation, or null.</param>
/// <param name="Elapsed">Wall time of this invocation.</param>
/// <param name="Tokens">Input and target tokens (padding included) this invocation trained on.</param>
/// <param name="TruncatedRows">Training rows whose input or target was truncated to the maximum length.</param>
public sealed record TrainingResult(TrainingOutcome Outcome, int Step, double? BestMetric, int? BestStep, float LastLoss,
    IReadOnlyDictionary<MetricKind, double>? LastEvaluation, TimeSpan Elapsed, long Tokens, long TruncatedRows);
