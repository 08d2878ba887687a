using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Data;
using DePT.Diagnostics;
using DePT.Metrics;
using DePT.Tests.Support;
using DePT.Training;
using Run = DePT.Training.Trainer;

namespace DePT.Tests.Training.Trainer;

/// <summary>
/// The training loop on CUDA (F32): the same run on the CPU and on the GPU follows the same loss curve and ends at the
/// same values (to float tolerance: reductions are ordered differently), and a GPU run cancelled and resumed into new
/// objects ends where the uninterrupted GPU run ends.
/// </summary>
public class TrainerGpuTests : GpuFixture
{
    private const int Steps = 6, EvaluateEvery = 3, BatchSize = 3, Seed = 5;
    private string _root = "";

    [SetUp]
    public void SetUp() => _root = Directory.CreateTempSubdirectory("dept-trainer-gpu-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    [Test]
    public void Classification_CudaFollowsTheCpuRun()
    {
        using var folder = TrainerRigs.BertFolder();
        var (train, validation) = (TrainerRigs.Sentences(10, 1, textToText: false), TrainerRigs.Sentences(5, 2, textToText: false, "validation.jsonl"));
        AssertSameRun(backend => new ClassificationRig(folder.Path, 100, Steps, backend: backend), train, validation, MetricKind.Accuracy);
    }

    [Test]
    public void T5_CudaFollowsTheCpuRun()
    {
        using var folder = TrainerRigs.T5Folder();
        var (train, validation) = (TrainerRigs.Sentences(10, 3, textToText: true), TrainerRigs.Sentences(5, 4, textToText: true, "validation.jsonl"));
        AssertSameRun(backend => new T5Rig(folder.Path, 100, Steps, backend: backend), train, validation, MetricKind.TokenF1);
    }

    [Test]
    public void Classification_CudaRunResumedIntoNewObjects_EndsWhereTheUninterruptedOneEnds()
    {
        using var folder = TrainerRigs.BertFolder();
        var (train, validation) = (TrainerRigs.Sentences(10, 1, textToText: false), TrainerRigs.Sentences(5, 2, textToText: false, "validation.jsonl"));
        string whole = Path.Combine(_root, "whole"), split = Path.Combine(_root, "split");
        float[] expected;
        using (var rig = new ClassificationRig(folder.Path, 100, Steps, backend: Gpu))
        {
            Run.Run(rig.Task, train, validation, Options(whole));
            expected = rig.Values();
        }
        using var cancellation = new CancellationTokenSource();
        using (var rig = new ClassificationRig(folder.Path, 100, Steps, backend: Gpu))
            Run.Run(rig.Task, train, validation, Options(split), observer: RecordingObserver.CancellingAt(4, cancellation), cancellation: cancellation.Token);
        using (var rig = new ClassificationRig(folder.Path, 200, Steps, backend: Gpu))
        {
            var result = Run.Run(rig.Task, train, validation, Options(split), resume: true);
            Assert.That((result.Outcome, result.Step), Is.EqualTo((TrainingOutcome.Completed, Steps)));
            Assert.That(ErrorMetrics.Relative(rig.Values(), expected), Is.LessThan(1e-5), "resumed vs uninterrupted on the GPU");
        }
        var lossesWhole = TrainingLog.Read(Path.Combine(whole, TrainingLog.FileName)).Losses.Select(l => l.Loss).ToArray();
        var lossesSplit = TrainingLog.Read(Path.Combine(split, TrainingLog.FileName)).Losses.Select(l => l.Loss).ToArray();
        Assert.That(lossesSplit, Is.EqualTo(lossesWhole).Within(1e-5), "losses");
    }

    private void AssertSameRun(Func<IBackend, ITrainerRig> makeRig, Example[] train, Example[] validation, MetricKind metric)
    {
        string cpuOut = Path.Combine(_root, "cpu"), gpuOut = Path.Combine(_root, "gpu");
        float[] cpuValues, gpuValues;
        using (var rig = makeRig(new CpuBackend()))
        {
            Run.Run(rig.Task, train, validation, Options(cpuOut, metric));
            cpuValues = rig.Values();
        }
        using (var rig = makeRig(Gpu))
        {
            Run.Run(rig.Task, train, validation, Options(gpuOut, metric));
            gpuValues = rig.Values();
        }
        var cpuLog = TrainingLog.Read(Path.Combine(cpuOut, TrainingLog.FileName));
        var gpuLog = TrainingLog.Read(Path.Combine(gpuOut, TrainingLog.FileName));
        Assert.That(gpuLog.Losses.Select(l => l.Loss), Is.EqualTo(cpuLog.Losses.Select(l => l.Loss)).Within(1e-3).Percent,
            $"losses\ncpu: {string.Join(" ", cpuLog.Losses.Select(l => l.Loss))}\ngpu: {string.Join(" ", gpuLog.Losses.Select(l => l.Loss))}");
        Assert.That(ErrorMetrics.Relative(gpuValues, cpuValues), Is.LessThan(1e-4), "trainable values after the run");
        Assert.That(gpuLog.Evaluations.Select(e => e.Step), Is.EqualTo(cpuLog.Evaluations.Select(e => e.Step)));
    }

    private static TrainerOptions Options(string output, MetricKind metric = MetricKind.Accuracy) =>
        new(Steps, BatchSize, output, EvaluateEvery, metric, Seed, EvaluationBatchSize: 2);
}
