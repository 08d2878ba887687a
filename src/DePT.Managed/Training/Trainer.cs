using System.Diagnostics;
using DePT.Checkpoints;
using DePT.Data;
using DePT.Metrics;

namespace DePT.Training;

/// <summary>
/// The training loop of every task: seeded batches in epoch order, one optimiser step per batch, an evaluation every
/// N steps, the best checkpoint by the chosen metric in <c>best/</c>, the resumable state in <c>last/</c>, and a JSON
/// Lines log of every step and evaluation, all in <see cref="TrainerOptions.OutputFolder"/>.
/// </summary>
/// <remarks>
/// Determinism: the batches come from <see cref="EpochOrder"/> (seeded), dropout from the task's seed and the
/// optimiser's step count, so a run is a function of its seeds; a run resumed from <c>last/</c> restores the optimiser
/// moments, the step, the epoch, the cursor and the best metric, and continues exactly as the uninterrupted run would.
/// Failure: cancellation (Ctrl+C) is honoured between steps by writing <c>last/</c> and returning; a NaN or infinite
/// loss stops the run before its update is applied and writes nothing, so the checkpoints on disk stay the last good ones.
/// </remarks>
public static class Trainer
{
    /// <summary>The checkpoint folder of the best evaluation.</summary>
    public const string BestFolderName = "best";

    /// <summary>The checkpoint folder to resume from.</summary>
    public const string LastFolderName = "last";

    /// <summary>Trains <paramref name="task"/> on <paramref name="train"/>, evaluating on <paramref name="validation"/>.</summary>
    /// <param name="task">The model, its trainable parts and optimiser (restored from <c>last/</c> when resuming).</param>
    /// <param name="train">Training examples; at least one.</param>
    /// <param name="validation">Evaluation examples; at least one.</param>
    /// <param name="options">Steps, batch size, evaluation and output settings.</param>
    /// <param name="resume">Continue the run in the output folder from its <c>last/</c> checkpoint; otherwise the folder must hold no run.</param>
    /// <param name="observer">Receives progress; null for none.</param>
    /// <param name="cancellation">Stops the run between steps, after writing <c>last/</c>.</param>
    /// <exception cref="ArgumentException">A data set is empty, the metric is not one the task reports, or the settings are out of range.</exception>
    /// <exception cref="InvalidOperationException">A new run's output folder already holds a run, or a resumed run's checkpoint does not fit the data, seed or task.</exception>
    public static TrainingResult Run(ITrainingTask task, IReadOnlyList<Example> train, IReadOnlyList<Example> validation, TrainerOptions options,
        bool resume = false, ITrainingObserver? observer = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException("the training set is empty: there is nothing to train on.", nameof(train));
        if (validation.Count == 0) throw new ArgumentException("the validation set is empty: there is nothing to evaluate on.", nameof(validation));
        if (!task.Metrics.Contains(options.Metric))
            throw new ArgumentException($"this task reports {string.Join(", ", task.Metrics.Select(m => m.FileName()))}; it cannot select checkpoints by {options.Metric.FileName()}.", nameof(options));

        string output = Path.GetFullPath(options.OutputFolder);
        Directory.CreateDirectory(output);
        string last = Path.Combine(output, LastFolderName), best = Path.Combine(output, BestFolderName);
        string fingerprint = Fingerprint(train);
        var run = new RunPosition(new EpochOrder(train.Count, options.Seed), double.NaN, null, fingerprint);
        if (resume) run = Restore(task, train.Count, fingerprint, options, last, best, observer);
        else if (CheckpointFolder.Locate(last) is not null || File.Exists(Path.Combine(output, TrainingLog.FileName)))
            throw new InvalidOperationException($"'{output}' already holds a training run; resume it or choose another output folder.");

        var optimizer = task.Optimizer;
        int firstStep = optimizer.StepCount;
        using var log = TrainingLog.Open(Path.Combine(output, TrainingLog.FileName), firstStep);
        var clock = Stopwatch.StartNew();
        long tokens = 0, truncated = 0;
        float loss = float.NaN;
        IReadOnlyDictionary<MetricKind, double>? lastEvaluation = null;
        bool saved = true;

        TrainingResult Finish(TrainingOutcome outcome) => new(outcome, optimizer.StepCount, double.IsNaN(run.BestMetric) ? null : run.BestMetric, run.BestStep,
            loss, lastEvaluation, clock.Elapsed, tokens, truncated);

        while (optimizer.StepCount < options.Steps)
        {
            if (cancellation.IsCancellationRequested)
            {
                if (!saved) SaveLast(task, last, run, options.Seed, null);   // this step was not evaluated
                observer?.OnMessage($"stopped at step {optimizer.StepCount} on request; '{last}' holds the state to resume from.");
                return Finish(TrainingOutcome.Cancelled);
            }

            var batch = task.Encode(train, run.Order.NextBatch(options.BatchSize));
            loss = task.AccumulateGradients(batch);
            if (!float.IsFinite(loss))
            {
                optimizer.ZeroGradients();
                string kept = CheckpointFolder.Locate(last) is { } folder ? $"'{folder}' (step {CheckpointFolder.ReadInfo(folder).Step}) is the last good checkpoint" : "no checkpoint was written yet";
                observer?.OnMessage($"the loss of step {optimizer.StepCount + 1} is {loss}; stopped without applying it, {kept}.");
                return Finish(TrainingOutcome.NonFiniteLoss);
            }
            var rates = optimizer.GroupLearningRates(optimizer.StepCount);
            optimizer.Step();
            saved = false;
            tokens += TokenCount(batch);
            truncated += Math.Max(batch.TruncatedInputs, batch.TruncatedTargets);

            int step = optimizer.StepCount, done = step - firstStep;
            var elapsed = clock.Elapsed;
            var report = new TrainingStepReport(step, options.Steps, loss, rates, tokens / Math.Max(elapsed.TotalSeconds, 1e-9), elapsed,
                TimeSpan.FromTicks(elapsed.Ticks / done * (options.Steps - step)));
            log.WriteStep(report);
            observer?.OnStep(report);

            if (step % options.EvaluateEvery == 0 || step == options.Steps)
            {
                lastEvaluation = task.Evaluate(validation, options.EvaluationBatchSize);
                double value = lastEvaluation[options.Metric];
                bool isBest = options.Metric.IsBetter(value, run.BestMetric);
                if (isBest)
                {
                    run = run with { BestMetric = value, BestStep = step };
                    CheckpointFolder.Write(best, task.SaveParameters, null, new CheckpointInfo(step, lastEvaluation, run.DataFingerprint));
                }
                SaveLast(task, last, run, options.Seed, lastEvaluation);
                saved = true;
                log.WriteEvaluation(step, lastEvaluation, isBest);
                observer?.OnEvaluation(step, lastEvaluation, isBest);
            }
        }
        if (!saved) SaveLast(task, last, run, options.Seed, lastEvaluation);
        return Finish(TrainingOutcome.Completed);
    }

    private static RunPosition Restore(ITrainingTask task, int trainCount, string fingerprint, TrainerOptions options, string last, string best, ITrainingObserver? observer)
    {
        string folder = CheckpointFolder.Locate(last)
            ?? throw new InvalidOperationException($"there is nothing to resume: '{last}' holds no checkpoint.");
        var info = CheckpointFolder.ReadInfo(folder);   // refuses a checkpoint.json of a newer format before anything is restored
        var state = TrainingState.Load(Path.Combine(folder, CheckpointFolder.StateFileName));
        if (state.RngSeed != (ulong)options.Seed)
            throw new InvalidOperationException($"the checkpoint '{folder}' was trained with seed {state.RngSeed}; resume it with that seed, not {options.Seed}.");
        if (state.DataOrder.Length != trainCount)
            throw new InvalidOperationException($"the checkpoint '{folder}' was trained on {state.DataOrder.Length} examples; the training set now holds {trainCount}.");
        if (info.TrainingDataSha256 is { } saved && saved != fingerprint)
            throw new InvalidOperationException($"the checkpoint '{folder}' was trained on other training examples (sha256 {saved}, now {fingerprint}); was the training file changed?");
        if (state.Step > options.Steps)
            throw new InvalidOperationException($"the checkpoint '{folder}' is at step {state.Step}, past the run's {options.Steps} steps.");
        var order = EpochOrder.Restore(new EpochOrderState(trainCount, options.Seed, state.DataEpoch, state.DataCursor));
        if (!order.CurrentPermutation.AsSpan().SequenceEqual(state.DataOrder))
            throw new InvalidOperationException($"the checkpoint '{folder}' was trained on a data order this seed and training set do not give; was the training file changed?");
        task.LoadParameters(folder);
        task.Optimizer.Restore(state);
        int? bestStep = CheckpointFolder.Locate(best) is { } bestFolder ? CheckpointFolder.ReadInfo(bestFolder).Step : null;
        observer?.OnMessage($"resuming from '{folder}' at step {state.Step} (epoch {state.DataEpoch}, example {state.DataCursor} of {trainCount}).");
        return new RunPosition(order, state.BestMetric ?? double.NaN, bestStep, fingerprint);
    }

    private static void SaveLast(ITrainingTask task, string last, RunPosition run, int seed, IReadOnlyDictionary<MetricKind, double>? evaluation)
    {
        var optimizer = task.Optimizer;
        var position = run.Order.State;
        var state = TrainingState.Capture(task.Backend, optimizer, run.Order.CurrentPermutation, position.Cursor, position.Epoch, (ulong)seed,
            (ulong)optimizer.StepCount, double.IsNaN(run.BestMetric) ? null : run.BestMetric);
        CheckpointFolder.Write(last, task.SaveParameters, state, new CheckpointInfo(optimizer.StepCount, evaluation ?? new Dictionary<MetricKind, double>(), run.DataFingerprint));
    }

    private static long TokenCount(EncodedBatch batch) =>
        (long)batch.Inputs.BatchSize * batch.Inputs.SequenceLength + (batch.Targets is { } t ? (long)t.BatchSize * t.SequenceLength : 0);

    /// <summary>
    /// SHA-256 (lowercase hex) over the training examples in order: input, target and label of each, length-prefixed,
    /// so a resume on edited data is refused even when the row count is unchanged.
    /// </summary>
    public static string Fingerprint(IReadOnlyList<Example> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var example in examples)
        {
            foreach (string? field in new[] { example.Input, example.Target, example.Label })
            {
                byte[] bytes = System.Text.Encoding.UTF8.GetBytes(field ?? "");
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, field is null ? -1 : bytes.Length);
                hash.AppendData(length);
                hash.AppendData(bytes);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Where a run is: its data order, the best evaluation so far (NaN before the first) and its training data's fingerprint.</summary>
    private sealed record RunPosition(EpochOrder Order, double BestMetric, int? BestStep, string DataFingerprint);
}
