using DePT.Metrics;

namespace DePT.Training;

/// <summary>How <see cref="Trainer"/> runs.</summary>
/// <param name="Steps">Optimiser steps of the whole run (a resumed run counts the steps already taken).</param>
/// <param name="BatchSize">Training rows per step.</param>
/// <param name="OutputFolder">Where the log, <c>best/</c> and <c>last/</c> checkpoints go; created when missing.</param>
/// <param name="EvaluateEvery">Steps between evaluations (and checkpoints); the last step is always evaluated.</param>
/// <param name="Metric">The metric the best checkpoint is chosen by.</param>
/// <param name="Seed">Seed of the data order; the task's own seeds cover dropout and initialisation.</param>
/// <param name="EvaluationBatchSize">Rows per forward pass while evaluating.</param>
public sealed record TrainerOptions(int Steps, int BatchSize, string OutputFolder, int EvaluateEvery = 100, MetricKind Metric = MetricKind.Accuracy,
    int Seed = 42, int EvaluationBatchSize = 64)
{
    /// <summary>Refuses values the trainer cannot run with; the message names the setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException($"steps must be at least 1; got {Steps}.");
        if (BatchSize < 1) throw new ArgumentException($"the batch size must be at least 1; got {BatchSize}.");
        if (EvaluateEvery < 1) throw new ArgumentException($"evaluate-every must be at least 1; got {EvaluateEvery}.");
        if (EvaluationBatchSize < 1) throw new ArgumentException($"the evaluation batch size must be at least 1; got {EvaluationBatchSize}.");
        if (string.IsNullOrWhiteSpace(OutputFolder)) throw new ArgumentException("the output folder is empty.");
    }
}
