using System.Text.Json;
using DePT.Checkpoints;
using DePT.Data;
using DePT.Metrics;
using DePT.Tests.Data;
using DePT.Training;
using Run = DePT.Training.Trainer;

namespace DePT.Tests.Training.Trainer;

/// <summary>
/// What a run leaves on disk, driven by <see cref="ScriptedTask"/> (scripted metrics and losses over a real AdamW):
/// best/ at the best evaluation, last/ at the last step, checkpoint.json, the log's lines; a NaN or infinite loss
/// that stops before its update and leaves the last good checkpoints byte for byte; cancellation at an evaluation.
/// </summary>
public class TrainerCheckpointTests
{
    private const int Seed = 8;
    private static readonly Example[] Train = DataFixtures.RandomExamples(7, 1, "a", "b");
    private static readonly Example[] Validation = DataFixtures.RandomExamples(3, 2, "a", "b");
    private string _output = "";

    [SetUp]
    public void SetUp() => _output = Path.Combine(Directory.CreateTempSubdirectory("dept-trainer-").FullName, "run");

    [TearDown]
    public void TearDown() => Directory.Delete(Path.GetDirectoryName(_output)!, recursive: true);

    private string Last => Path.Combine(_output, Run.LastFolderName);
    private string Best => Path.Combine(_output, Run.BestFolderName);

    [Test]
    public void BestHoldsTheBestEvaluation_LastTheLastStep_AndTheLogHasEveryStepAndEvaluation()
    {
        const int steps = 10;
        using var task = new ScriptedTask(steps) { AccuracyAt = step => step switch { 3 => 0.5, 6 => 0.8, 9 => 0.7, _ => 0.8 } };   // 10 ties 6: not better
        var valuesAt = new Dictionary<int, float[]>();
        var observer = new RecordingObserver { AtEvaluation = step => valuesAt[step] = task.Values };

        var result = Run.Run(task, Train, Validation, new TrainerOptions(steps, 2, _output, EvaluateEvery: 3, MetricKind.Accuracy, Seed), observer: observer);

        Assert.That((result.Outcome, result.Step, result.BestMetric, result.BestStep), Is.EqualTo((TrainingOutcome.Completed, steps, (double?)0.8, (int?)6)));
        Assert.That(result.LastEvaluation![MetricKind.Accuracy], Is.EqualTo(0.8));
        Assert.That(result.Tokens, Is.EqualTo(task.Batches.Sum(b => b.Length)), "one token a row in this task's batches");
        Assert.That(task.EvaluationCount, Is.EqualTo(4));
        Assert.That(observer.Evaluations.Select(e => (e.Step, e.IsBest)), Is.EqualTo(new[] { (3, true), (6, true), (9, false), (10, false) }));

        // best/: the parameters at step 6 and its metrics, no training state
        Assert.That(ScriptedTask.Saved(Best), Is.EqualTo(valuesAt[6]));
        Assert.That(valuesAt[6], Is.Not.EqualTo(valuesAt[10]));
        Assert.That(Directory.GetFiles(Best).Select(Path.GetFileName), Is.EquivalentTo(new[] { ScriptedTask.FileName, CheckpointFolder.InfoFileName }));
        using (var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Best, CheckpointFolder.InfoFileName))))
        {
            var root = json.RootElement;
            Assert.That(root.GetProperty("format_version").GetInt32(), Is.EqualTo(CheckpointFolder.FormatVersion));
            Assert.That(root.GetProperty("step").GetInt32(), Is.EqualTo(6));
            Assert.That(root.GetProperty("metrics").EnumerateObject().Select(p => (p.Name, p.Value.GetDouble())), Is.EqualTo(new[] { ("accuracy", 0.8), ("macro_f1", 0.25) }));
        }

        // last/: the parameters, optimiser and data position after step 10
        Assert.That(ScriptedTask.Saved(Last), Is.EqualTo(task.Values));
        Assert.That(Directory.GetFiles(Last).Select(Path.GetFileName), Is.EquivalentTo(new[] { ScriptedTask.FileName, CheckpointFolder.InfoFileName, CheckpointFolder.StateFileName }));
        var info = CheckpointFolder.ReadInfo(Last);
        Assert.That(info.Step, Is.EqualTo(steps));
        Assert.That(info.Metrics, Is.EquivalentTo(new Dictionary<MetricKind, double> { [MetricKind.Accuracy] = 0.8, [MetricKind.MacroF1] = 0.25 }));
        var state = TrainingState.Load(Path.Combine(Last, CheckpointFolder.StateFileName));
        var order = new EpochOrder(Train.Length, Seed);
        var expectedBatches = Enumerable.Range(0, steps).Select(_ => order.NextBatch(2)).ToList();
        Assert.That(task.Batches, Is.EqualTo(expectedBatches), "batches follow the seeded epoch order (7 rows, batch 2: the last of an epoch holds one)");
        Assert.That((state.Step, state.DataEpoch, state.DataCursor, state.RngSeed, state.BestMetric), Is.EqualTo((steps, order.Epoch, order.Cursor, (ulong)Seed, (double?)0.8)));
        Assert.That(state.DataOrder, Is.EqualTo(order.CurrentPermutation));
        Assert.That(Directory.GetDirectories(_output).Select(Path.GetFileName), Is.EquivalentTo(new[] { Run.BestFolderName, Run.LastFolderName }), "no staging or .old folder is left");

        // log.jsonl: a step line per step, an evaluation line after the step it evaluates
        string[] lines = File.ReadAllLines(Path.Combine(_output, TrainingLog.FileName));
        Assert.That(lines, Has.Length.EqualTo(steps + 4));
        var expectedLines = new List<(int Step, bool Evaluation)>();
        for (int step = 1; step <= steps; step++)
        {
            expectedLines.Add((step, false));
            if (step % 3 == 0 || step == steps) expectedLines.Add((step, true));
        }
        var best = new List<bool>();
        for (int i = 0; i < lines.Length; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            var root = line.RootElement;
            Assert.That((root.GetProperty("step").GetInt32(), root.TryGetProperty("metrics", out _)), Is.EqualTo(expectedLines[i]), $"line {i + 1}: {lines[i]}");
            if (root.TryGetProperty("metrics", out var metrics))
            {
                best.Add(root.GetProperty("best").GetBoolean());
                Assert.That(metrics.GetProperty("accuracy").GetDouble(), Is.EqualTo(task.AccuracyAt(root.GetProperty("step").GetInt32())));
                Assert.That(metrics.GetProperty("macro_f1").GetDouble(), Is.EqualTo(0.25));
            }
            else
            {
                int step = root.GetProperty("step").GetInt32();
                var report = observer.Steps[step - 1];
                Assert.That((float)root.GetProperty("loss").GetDouble(), Is.EqualTo(report.Loss), $"line {i + 1}");
                Assert.That(root.GetProperty("learning_rates").GetProperty("w").GetDouble(), Is.EqualTo(0.1f * (steps - (step - 1)) / (float)steps).Within(1e-6), $"line {i + 1}: the rate step {step} used");
                Assert.That(root.GetProperty("tokens_per_second").GetDouble(), Is.GreaterThanOrEqualTo(0));
                Assert.That(root.GetProperty("elapsed_seconds").GetDouble(), Is.GreaterThanOrEqualTo(0));
            }
        }
        Assert.That(best, Is.EqualTo(new[] { true, true, false, false }));
        Assert.That(observer.Steps.Select(s => (s.Step, s.TotalSteps)), Is.EqualTo(Enumerable.Range(1, steps).Select(s => (s, steps))));
        Assert.That(observer.Steps.Select(s => s.LearningRates.Single().Group), Has.All.EqualTo("w"));
    }

    [Test]
    public void ALaterBetterEvaluationReplacesBest()
    {
        using var task = new ScriptedTask(6) { AccuracyAt = step => step == 2 ? 0.9 : step == 4 ? 0.1 : 0.95 };
        var result = Run.Run(task, Train, Validation, new TrainerOptions(6, 3, _output, EvaluateEvery: 2, MetricKind.Accuracy, Seed));
        Assert.That((result.BestStep, result.BestMetric), Is.EqualTo(((int?)6, (double?)0.95)));
        Assert.That(CheckpointFolder.ReadInfo(Best).Step, Is.EqualTo(6));
        Assert.That(ScriptedTask.Saved(Best), Is.EqualTo(task.Values));
    }

    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    public void ANonFiniteLoss_StopsBeforeItsUpdate_AndLeavesTheLastGoodCheckpoints(float badLoss)
    {
        const int steps = 10, badStep = 6;
        using var task = new ScriptedTask(steps) { LossAt = step => step == badStep ? badLoss : null };
        Dictionary<string, byte[]>? lastFiles = null, bestFiles = null;
        float[]? valuesBefore = null;
        var observer = new RecordingObserver
        {
            AtEvaluation = step =>
            {
                if (step != 4) return;
                lastFiles = Snapshot(Last);
                bestFiles = Snapshot(Best);
            },
            AtStep = report =>
            {
                if (report.Step == badStep - 1) valuesBefore = task.Values;
            },
        };

        var result = Run.Run(task, Train, Validation, new TrainerOptions(steps, 2, _output, EvaluateEvery: 2, MetricKind.Accuracy, Seed), observer: observer);

        Assert.That(result.Outcome, Is.EqualTo(TrainingOutcome.NonFiniteLoss));
        Assert.That(result.Step, Is.EqualTo(badStep - 1));
        Assert.That(task.Optimizer.StepCount, Is.EqualTo(badStep - 1));
        Assert.That(result.LastLoss, Is.EqualTo(badLoss));
        Assert.That(task.Values, Is.EqualTo(valuesBefore), "the bad step changed no parameter");
        Assert.That(task.Gradient, Has.All.EqualTo(0f), "its gradient is dropped");
        Assert.That(Snapshot(Last), Is.EquivalentTo(lastFiles!), "last/ is still the step-4 evaluation's, byte for byte");
        Assert.That(Snapshot(Best), Is.EquivalentTo(bestFiles!));
        Assert.That(CheckpointFolder.ReadInfo(Last).Step, Is.EqualTo(4));
        Assert.That(observer.Steps.Select(s => s.Step), Is.EqualTo(Enumerable.Range(1, badStep - 1)));
        Assert.That(observer.Messages.Last(), Does.Contain($"step {badStep}").And.Contain("step 4").And.Contain("last good checkpoint"));
        var log = TrainingLog.Read(Path.Combine(_output, TrainingLog.FileName));
        Assert.That(log.Losses.Select(l => l.Step), Is.EqualTo(Enumerable.Range(1, badStep - 1)), "the bad step is not logged as taken");
        Assert.That(Directory.GetDirectories(_output).Select(Path.GetFileName), Is.EquivalentTo(new[] { Run.BestFolderName, Run.LastFolderName }));

        // the run resumes from the last good checkpoint
        using var fixedTask = new ScriptedTask(steps, initSeed: 9);
        var resumed = new RecordingObserver();
        var again = Run.Run(fixedTask, Train, Validation, new TrainerOptions(steps, 2, _output, EvaluateEvery: 2, MetricKind.Accuracy, Seed), resume: true, resumed);
        Assert.That(again.Outcome, Is.EqualTo(TrainingOutcome.Completed));
        Assert.That(resumed.Steps.First().Step, Is.EqualTo(5));
    }

    [Test]
    public void ANonFiniteLossBeforeAnyEvaluation_WritesNothing()
    {
        using var task = new ScriptedTask(5) { LossAt = step => step == 2 ? float.NaN : null };
        var observer = new RecordingObserver();
        var result = Run.Run(task, Train, Validation, new TrainerOptions(5, 2, _output, EvaluateEvery: 3, MetricKind.Accuracy, Seed), observer: observer);
        Assert.That((result.Outcome, result.Step, result.BestMetric, result.BestStep), Is.EqualTo((TrainingOutcome.NonFiniteLoss, 1, (double?)null, (int?)null)));
        Assert.That(CheckpointFolder.Locate(Last), Is.Null);
        Assert.That(CheckpointFolder.Locate(Best), Is.Null);
        Assert.That(observer.Messages.Last(), Does.Contain("no checkpoint was written yet"));
    }

    [Test]
    public void CancelledAtAnEvaluation_KeepsThatCheckpoint_AndResumesToTheUninterruptedEnd()
    {
        const int steps = 9;
        using var uninterrupted = new ScriptedTask(steps);
        string outputA = _output + "-a";
        try
        {
            Run.Run(uninterrupted, Train, Validation, new TrainerOptions(steps, 3, outputA, EvaluateEvery: 3, MetricKind.Accuracy, Seed));
        }
        finally
        {
            Directory.Delete(outputA, recursive: true);
        }

        using var cancellation = new CancellationTokenSource();
        using var first = new ScriptedTask(steps);
        Dictionary<string, byte[]>? atEvaluation = null;
        var observer = new RecordingObserver { AtStep = r => { if (r.Step == 6) cancellation.Cancel(); }, AtEvaluation = s => { if (s == 6) atEvaluation = Snapshot(Last); } };
        var stopped = Run.Run(first, Train, Validation, new TrainerOptions(steps, 3, _output, EvaluateEvery: 3, MetricKind.Accuracy, Seed), observer: observer, cancellation: cancellation.Token);
        Assert.That((stopped.Outcome, stopped.Step), Is.EqualTo((TrainingOutcome.Cancelled, 6)));
        Assert.That(Snapshot(Last), Is.EquivalentTo(atEvaluation!), "the evaluation's last/ is kept as it is");
        Assert.That(observer.Messages.Last(), Does.Contain("stopped at step 6"));

        using var resumed = new ScriptedTask(steps, initSeed: 77);
        Assert.That(resumed.Values, Is.Not.EqualTo(first.Values));
        var result = Run.Run(resumed, Train, Validation, new TrainerOptions(steps, 3, _output, EvaluateEvery: 3, MetricKind.Accuracy, Seed), resume: true);
        Assert.That((result.Outcome, result.Step, result.BestStep), Is.EqualTo((TrainingOutcome.Completed, steps, (int?)9)));
        Assert.That(resumed.Values, Is.EqualTo(uninterrupted.Values));
        Assert.That(first.Batches.Concat(resumed.Batches), Is.EqualTo(uninterrupted.Batches), "the resumed run visits the rows the uninterrupted one did");
    }

    [Test]
    public void CancelledBetweenEvaluations_SavesLastWithoutClaimingAnEvaluation()
    {
        using var task = new ScriptedTask(9);
        using var cancellation = new CancellationTokenSource();
        var result = Run.Run(task, Train, Validation, new TrainerOptions(9, 2, _output, EvaluateEvery: 3, MetricKind.Accuracy, Seed),
            observer: RecordingObserver.CancellingAt(4, cancellation), cancellation: cancellation.Token);

        Assert.That((result.Outcome, result.Step, result.BestStep), Is.EqualTo((TrainingOutcome.Cancelled, 4, (int?)3)));
        var info = CheckpointFolder.ReadInfo(Last);
        Assert.That(info.Step, Is.EqualTo(4));
        Assert.That(info.Metrics, Is.Empty, "step 4 was not evaluated; the step-3 metrics are best/'s");
        Assert.That(ScriptedTask.Saved(Last), Is.EqualTo(task.Values));
        var state = TrainingState.Load(Path.Combine(Last, CheckpointFolder.StateFileName));
        Assert.That((state.Step, state.BestMetric), Is.EqualTo((4, (double?)0.03)));
        Assert.That(CheckpointFolder.ReadInfo(Best).Step, Is.EqualTo(3));
    }

    [Test]
    public void CancelledBeforeTheFirstStep_WritesNothing()
    {
        using var task = new ScriptedTask(4);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var result = Run.Run(task, Train, Validation, new TrainerOptions(4, 2, _output, EvaluateEvery: 2), cancellation: cancellation.Token);
        Assert.That((result.Outcome, result.Step), Is.EqualTo((TrainingOutcome.Cancelled, 0)));
        Assert.That(CheckpointFolder.Locate(Last), Is.Null);
        Assert.That(task.Batches, Is.Empty);
    }

    private static Dictionary<string, byte[]> Snapshot(string folder) =>
        Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
}
