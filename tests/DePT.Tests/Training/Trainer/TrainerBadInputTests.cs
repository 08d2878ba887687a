using System.Text.Json.Nodes;
using DePT.Checkpoints;
using DePT.Data;
using DePT.IO;
using DePT.Metrics;
using DePT.Tests.Checkpoints;
using DePT.Tests.Data;
using DePT.Training;
using DePT.Training.Classification;
using Run = DePT.Training.Trainer;

namespace DePT.Tests.Training.Trainer;

/// <summary>
/// Runs the trainer refuses, each with a message that says why: empty data, a metric the task does not report, a new
/// run over an old one, resumes that cannot continue the saved run (nothing saved, another seed, another training set,
/// a changed order, past the end), checkpoints of a newer format, and parameters saved for another model.
/// </summary>
public class TrainerBadInputTests
{
    private const int Seed = 5;
    private static readonly Example[] Train = DataFixtures.RandomExamples(10, 1, "a", "b");
    private static readonly Example[] Validation = DataFixtures.RandomExamples(3, 2, "a", "b");
    private string _root = "", _output = "";

    [SetUp]
    public void SetUp()
    {
        _root = Directory.CreateTempSubdirectory("dept-trainer-bad-").FullName;
        _output = Path.Combine(_root, "run");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    private string Last => Path.Combine(_output, Run.LastFolderName);

    private TrainerOptions Options(int steps = 4, int seed = Seed, MetricKind metric = MetricKind.Accuracy) => new(steps, 3, _output, EvaluateEvery: 2, metric, seed);

    /// <summary>A finished run of 4 steps in the output folder.</summary>
    private void Completed(int steps = 4)
    {
        using var task = new ScriptedTask(steps);
        Assert.That(Run.Run(task, Train, Validation, Options(steps)).Outcome, Is.EqualTo(TrainingOutcome.Completed));
    }

    [Test]
    public void EmptyDataSets_AreRefused_BeforeAnythingIsWritten()
    {
        using var task = new ScriptedTask(4);
        Assert.That(() => Run.Run(task, [], Validation, Options()), Throws.ArgumentException.With.Message.Contains("training set is empty"));
        Assert.That(() => Run.Run(task, Train, [], Options()), Throws.ArgumentException.With.Message.Contains("validation set is empty"));
        Assert.That(Directory.Exists(_output), Is.False);
        Assert.That(task.Optimizer.StepCount, Is.Zero);
    }

    [Test]
    public void AMetricTheTaskDoesNotReport_IsRefusedNamingTheOnesItDoes()
    {
        using var task = new ScriptedTask(4);
        Assert.That(() => Run.Run(task, Train, Validation, Options(metric: MetricKind.Pearson)),
            Throws.ArgumentException.With.Message.Contains("accuracy, macro_f1").And.Message.Contains("pearson"));
        Assert.That(Directory.Exists(_output), Is.False);
    }

    [Test]
    public void OutOfRangeSettings_AreRefusedNamingTheSetting()
    {
        using var task = new ScriptedTask(4);
        Assert.That(() => Run.Run(task, Train, Validation, Options(steps: 0)), Throws.ArgumentException.With.Message.Contains("steps"));
        Assert.That(() => Run.Run(task, Train, Validation, Options() with { BatchSize = 0 }), Throws.ArgumentException.With.Message.Contains("batch size"));
        Assert.That(() => Run.Run(task, Train, Validation, Options() with { EvaluateEvery = 0 }), Throws.ArgumentException.With.Message.Contains("evaluate-every"));
        Assert.That(() => Run.Run(task, Train, Validation, Options() with { EvaluationBatchSize = 0 }), Throws.ArgumentException.With.Message.Contains("evaluation batch size"));
        Assert.That(() => Run.Run(task, Train, Validation, Options() with { OutputFolder = " " }), Throws.ArgumentException.With.Message.Contains("output folder"));
    }

    [Test]
    public void ANewRunIntoAFolderHoldingARun_IsRefusedAndLeavesItAlone()
    {
        Completed();
        byte[] log = File.ReadAllBytes(Path.Combine(_output, TrainingLog.FileName));
        byte[] state = File.ReadAllBytes(Path.Combine(Last, CheckpointFolder.StateFileName));

        using var task = new ScriptedTask(4);
        Assert.That(() => Run.Run(task, Train, Validation, Options()), Throws.InvalidOperationException.With.Message.Contains("already holds a training run"));
        Assert.That(File.ReadAllBytes(Path.Combine(_output, TrainingLog.FileName)), Is.EqualTo(log));
        Assert.That(File.ReadAllBytes(Path.Combine(Last, CheckpointFolder.StateFileName)), Is.EqualTo(state));

        // a log alone (a run stopped before its first checkpoint) is a run too
        string other = Path.Combine(_root, "other");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, TrainingLog.FileName), "");
        Assert.That(() => Run.Run(task, Train, Validation, Options() with { OutputFolder = other }), Throws.InvalidOperationException.With.Message.Contains("already holds"));
    }

    [Test]
    public void ResumingWithNothingToResume_IsRefused()
    {
        using var task = new ScriptedTask(4);
        Assert.That(() => Run.Run(task, Train, Validation, Options(), resume: true), Throws.InvalidOperationException.With.Message.Contains("nothing to resume"));
    }

    [Test]
    public void ResumingWithAnotherSeed_IsRefusedNamingBoth()
    {
        Completed();
        using var task = new ScriptedTask(8);
        Assert.That(() => Run.Run(task, Train, Validation, Options(steps: 8, seed: Seed + 1), resume: true),
            Throws.InvalidOperationException.With.Message.Contains($"seed {Seed}").And.Message.Contains($"not {Seed + 1}"));
        Assert.That(task.Optimizer.StepCount, Is.Zero, "nothing was restored");
    }

    [Test]
    public void ResumingWithAnotherTrainingSetSize_IsRefusedNamingBothCounts()
    {
        Completed();
        using var task = new ScriptedTask(8);
        var more = DataFixtures.RandomExamples(11, 1, "a", "b");
        Assert.That(() => Run.Run(task, more, Validation, Options(steps: 8), resume: true),
            Throws.InvalidOperationException.With.Message.Contains("trained on 10 examples").And.Message.Contains("now holds 11"));
    }

    [Test]
    public void ResumingFromADataOrderTheSeedDoesNotGive_IsRefused()
    {
        // the order check catches a state whose saved permutation differs from the one the seed and count give
        Completed();
        string statePath = Path.Combine(Last, CheckpointFolder.StateFileName);
        var state = TrainingState.Load(statePath);
        int[] swapped = (int[])state.DataOrder.Clone();
        (swapped[0], swapped[1]) = (swapped[1], swapped[0]);
        (state with { DataOrder = swapped }).Save(statePath);

        using var task = new ScriptedTask(8);
        Assert.That(() => Run.Run(task, Train, Validation, Options(steps: 8), resume: true),
            Throws.InvalidOperationException.With.Message.Contains("data order").And.Message.Contains("training file changed"));
    }

    [Test]
    public void ResumingWithEditedTrainingRowsOfTheSameCount_IsRefused()
    {
        Completed();
        using var task = new ScriptedTask(8);
        var edited = Train.Select((e, i) => i == 3 ? e with { Input = e.Input + " (edited)" } : e).ToArray();
        Assert.That(() => Run.Run(task, edited, Validation, Options(steps: 8), resume: true),
            Throws.InvalidOperationException.With.Message.Contains("other training examples").And.Message.Contains("training file changed"));
        Assert.That(task.Optimizer.StepCount, Is.Zero, "nothing was restored");
    }

    [Test]
    public void ResumingPastTheRunsSteps_IsRefused()
    {
        Completed(steps: 4);
        using var task = new ScriptedTask(3);
        Assert.That(() => Run.Run(task, Train, Validation, Options(steps: 3), resume: true),
            Throws.InvalidOperationException.With.Message.Contains("step 4").And.Message.Contains("past the run's 3 steps"));
    }

    [Test]
    public void ResumingACompletedRunWithMoreSteps_Continues()
    {
        Completed(steps: 4);
        using var task = new ScriptedTask(6);
        var observer = new RecordingObserver();
        var result = Run.Run(task, Train, Validation, Options(steps: 6), resume: true, observer);
        Assert.That((result.Outcome, result.Step), Is.EqualTo((TrainingOutcome.Completed, 6)));
        Assert.That(observer.Steps.Select(s => s.Step), Is.EqualTo(new[] { 5, 6 }));
    }

    [Test]
    public void ACheckpointJsonOfANewerFormat_IsRefusedOnResume()
    {
        Completed();
        string infoPath = Path.Combine(Last, CheckpointFolder.InfoFileName);
        var json = JsonNode.Parse(File.ReadAllText(infoPath))!;
        json["format_version"] = CheckpointFolder.FormatVersion + 1;
        File.WriteAllText(infoPath, json.ToJsonString());

        Assert.That(() => CheckpointFolder.ReadInfo(Last), Throws.TypeOf<CheckpointFormatException>().With.Message.Contains("newer"));
        using var task = new ScriptedTask(8);
        Assert.That(() => Run.Run(task, Train, Validation, Options(steps: 8), resume: true),
            Throws.TypeOf<CheckpointFormatException>().With.Message.Contains("newer").And.Message.Contains(infoPath));
        Assert.That(task.Optimizer.StepCount, Is.Zero);
    }

    [Test]
    public void ATrainingStateOfANewerFormat_IsRefusedOnResume()
    {
        Completed();
        string statePath = Path.Combine(Last, CheckpointFolder.StateFileName);
        SafetensorsEdits.SetMetadata(statePath, "format_version", (TrainingState.FormatVersion + 1).ToString());

        using var task = new ScriptedTask(8);
        Assert.That(() => Run.Run(task, Train, Validation, Options(steps: 8), resume: true),
            Throws.TypeOf<CheckpointFormatException>().With.Message.Contains("newer").And.Message.Contains(statePath));
    }

    [Test]
    public void AResumeWhoseParametersWereSavedForAnotherModel_IsRefused()
    {
        using var folder = TrainerRigs.BertFolder();
        var train = TrainerRigs.Sentences(6, 1, textToText: false);
        var validation = TrainerRigs.Sentences(2, 2, textToText: false);
        using (var other = new ClassificationRig(folder.Path, 1, 2))
        {
            var foreign = other.Identity with { EmbeddingSha256 = new string('0', 64) };
            using var rig = new ClassificationRig(folder.Path, 1, 2, foreign);
            Run.Run(rig.Task, train, validation, new TrainerOptions(2, 4, _output, EvaluateEvery: 2, Seed: Seed));
        }

        using var fresh = new ClassificationRig(folder.Path, 2, 4);
        float[] before = fresh.Values();
        var ex = Assert.Throws<PromptModelMismatchException>(() => Run.Run(fresh.Task, train, validation, new TrainerOptions(4, 4, _output, EvaluateEvery: 2, Seed: Seed), resume: true))!;
        Assert.That(ex.GivenModel, Is.EqualTo(fresh.Identity));
        Assert.That(ex.Message, Does.Contain(ClassificationTask.PromptFileName));
        Assert.That(fresh.Values(), Is.EqualTo(before), "nothing was loaded");
        Assert.That(fresh.Task.Optimizer.StepCount, Is.Zero);
    }
}
