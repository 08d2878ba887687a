using DePT.Checkpoints;
using DePT.Data;
using DePT.Metrics;
using DePT.Training;
using DePT.Training.Classification;
using DePT.Training.TextToText;
using Run = DePT.Training.Trainer;

namespace DePT.Tests.Training.Trainer;

/// <summary>
/// Resume equivalence on the CPU backend: a run cancelled after k steps and resumed into brand-new objects (other
/// random initial values) ends bit for bit where the uninterrupted run ends: the same losses, evaluations, best
/// checkpoint, final values and optimiser state. Dropout is on, evaluations fall between k and N, and the batch does not
/// divide the training set, so the data order wraps into a second epoch.
/// </summary>
public class TrainerResumeTests
{
    private const int Steps = 7, EvaluateEvery = 3, BatchSize = 3, TrainCount = 10, ValidationCount = 5, Seed = 5;
    private string _root = "";

    [SetUp]
    public void SetUp() => _root = Directory.CreateTempSubdirectory("dept-resume-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    [Test]
    public void Classification_CancelledAndResumedIntoNewObjects_MatchesTheUninterruptedRun()
    {
        using var folder = TrainerRigs.BertFolder();
        var train = TrainerRigs.Sentences(TrainCount, 1, textToText: false);
        var validation = TrainerRigs.Sentences(ValidationCount, 2, textToText: false, "validation.jsonl");
        // cancelled at step 4, the last batch of epoch 0 and between evaluations: last/ is written on cancellation
        AssertResumeEquivalence(seed => new ClassificationRig(folder.Path, seed, Steps), train, validation, MetricKind.Accuracy, cancelAt: 4,
            rig => Assert.That(((ClassificationRig)rig).Model.Config.HiddenDropoutProb, Is.EqualTo(0.1).Within(1e-7)));
    }

    [Test]
    public void T5_CancelledAndResumedIntoNewObjects_MatchesTheUninterruptedRun()
    {
        using var folder = TrainerRigs.T5Folder();
        var train = TrainerRigs.Sentences(TrainCount, 3, textToText: true);
        var validation = TrainerRigs.Sentences(ValidationCount, 4, textToText: true, "validation.jsonl");
        // cancelled at step 5, inside epoch 1
        AssertResumeEquivalence(seed => new T5Rig(folder.Path, seed, Steps), train, validation, MetricKind.TokenF1, cancelAt: 5,
            rig => Assert.That(((T5Rig)rig).Model.Config.DropoutRate, Is.EqualTo(0.1).Within(1e-7)));
    }

    private void AssertResumeEquivalence(Func<ulong, ITrainerRig> makeRig, Example[] train, Example[] validation, MetricKind metric, int cancelAt, Action<ITrainerRig> checkDropout)
    {
        string outputA = Path.Combine(_root, "a"), outputB = Path.Combine(_root, "b");
        TrainingResult a;
        float[] initialA, finalA;
        using (var rig = makeRig(100))
        {
            checkDropout(rig);
            initialA = rig.Values();
            a = Run.Run(rig.Task, train, validation, Options(outputA, metric));
            finalA = rig.Values();
        }
        Assert.That(a.Outcome, Is.EqualTo(TrainingOutcome.Completed));
        Assert.That(finalA, Is.Not.EqualTo(initialA), "training changed the values");

        using var cancellation = new CancellationTokenSource();
        using (var rig = makeRig(100))
        {
            var first = Run.Run(rig.Task, train, validation, Options(outputB, metric), observer: RecordingObserver.CancellingAt(cancelAt, cancellation), cancellation: cancellation.Token);
            Assert.That((first.Outcome, first.Step), Is.EqualTo((TrainingOutcome.Cancelled, cancelAt)));
        }
        Assert.That(CheckpointFolder.ReadInfo(Path.Combine(outputB, Run.LastFolderName)).Step, Is.EqualTo(cancelAt), "last/ holds the cancelled step");

        TrainingResult b;
        float[] finalB;
        var observer = new RecordingObserver();
        using (var rig = makeRig(200))
        {
            Assert.That(rig.Values(), Is.Not.EqualTo(initialA), "the resumed objects start from other values");
            b = Run.Run(rig.Task, train, validation, Options(outputB, metric), resume: true, observer);
            finalB = rig.Values();
        }

        Assert.That(b.Outcome, Is.EqualTo(TrainingOutcome.Completed));
        Assert.That(observer.Steps.Select(s => s.Step), Is.EqualTo(Enumerable.Range(cancelAt + 1, Steps - cancelAt)), "the resumed run takes the remaining steps");
        Assert.That(observer.Messages, Has.Some.Contains($"at step {cancelAt}"));
        Assert.That(Bits(finalB), Is.EqualTo(Bits(finalA)), "final trainable values");

        var logA = TrainingLog.Read(Path.Combine(outputA, TrainingLog.FileName));
        var logB = TrainingLog.Read(Path.Combine(outputB, TrainingLog.FileName));
        Assert.That(logA.Losses.Select(l => l.Step), Is.EqualTo(Enumerable.Range(1, Steps)));
        Assert.That(logB.Losses.Select(l => l.Step), Is.EqualTo(Enumerable.Range(1, Steps)), "the resumed log reads as one run");
        Assert.That(logB.Losses.Select(l => BitConverter.DoubleToInt64Bits(l.Loss)), Is.EqualTo(logA.Losses.Select(l => BitConverter.DoubleToInt64Bits(l.Loss))),
            $"losses\nA: {string.Join(" ", logA.Losses.Select(l => l.Loss.ToString("R")))}\nB: {string.Join(" ", logB.Losses.Select(l => l.Loss.ToString("R")))}");
        Assert.That(logA.Losses.Select(l => l.Loss).Distinct().Count(), Is.GreaterThan(1));
        Assert.That(logA.Evaluations.Select(e => e.Step), Is.EqualTo(new[] { 3, 6, 7 }));
        Assert.That(logB.Evaluations.Select(e => e.Step), Is.EqualTo(new[] { 3, 6, 7 }));
        for (int i = 0; i < logA.Evaluations.Count; i++)
            Assert.That(logB.Evaluations[i].Metrics, Is.EquivalentTo(logA.Evaluations[i].Metrics), $"evaluation at step {logA.Evaluations[i].Step}");
        Assert.That((b.BestMetric, b.BestStep), Is.EqualTo((a.BestMetric, a.BestStep)));
        Assert.That(a.BestMetric, Is.Not.Null);
        Assert.That(b.LastEvaluation, Is.EquivalentTo(a.LastEvaluation!));

        var bestA = CheckpointFolder.ReadInfo(Path.Combine(outputA, Run.BestFolderName));
        var bestB = CheckpointFolder.ReadInfo(Path.Combine(outputB, Run.BestFolderName));
        Assert.That(bestB.Step, Is.EqualTo(bestA.Step));
        Assert.That(bestB.Metrics, Is.EquivalentTo(bestA.Metrics));
        foreach (string file in Directory.GetFiles(Path.Combine(outputA, Run.BestFolderName)).Select(Path.GetFileName).Where(f => f!.EndsWith(".safetensors", StringComparison.Ordinal))!)
            Assert.That(File.ReadAllBytes(Path.Combine(outputB, Run.BestFolderName, file!)), Is.EqualTo(File.ReadAllBytes(Path.Combine(outputA, Run.BestFolderName, file!))), $"best/{file}");

        var stateA = TrainingState.Load(Path.Combine(outputA, Run.LastFolderName, CheckpointFolder.StateFileName));
        var stateB = TrainingState.Load(Path.Combine(outputB, Run.LastFolderName, CheckpointFolder.StateFileName));
        Assert.That((stateB.Step, stateB.DataEpoch, stateB.DataCursor, stateB.BestMetric), Is.EqualTo((stateA.Step, stateA.DataEpoch, stateA.DataCursor, stateA.BestMetric)));
        Assert.That(stateA.DataEpoch, Is.EqualTo(1), "the data order wrapped into a second epoch");
        Assert.That(stateB.DataOrder, Is.EqualTo(stateA.DataOrder));
        for (int i = 0; i < stateA.Moments.Count; i++)
        {
            Assert.That(stateB.Moments[i].Name, Is.EqualTo(stateA.Moments[i].Name));
            Assert.That(Bits(stateB.Moments[i].FirstMoment), Is.EqualTo(Bits(stateA.Moments[i].FirstMoment)), $"{stateA.Moments[i].Name} exp_avg");
            Assert.That(Bits(stateB.Moments[i].SecondMoment), Is.EqualTo(Bits(stateA.Moments[i].SecondMoment)), $"{stateA.Moments[i].Name} exp_avg_sq");
        }
    }

    private static TrainerOptions Options(string output, MetricKind metric) =>
        new(Steps, BatchSize, output, EvaluateEvery, metric, Seed, EvaluationBatchSize: 2);

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
