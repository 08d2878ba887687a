using DePT.Backends.Cpu;
using DePT.Benchmarks.Gpu;
using DePT.Benchmarks.Plan;
using DePT.Distributed;
using DePT.Tensors;

namespace DePT.Tests.Benchmarks;

/// <summary>The scaling benchmark's sequence (one plain task, then replicas joined by a collective) on CPU replicas with a tiny T5.</summary>
public class ScalingRunnerCpuTests
{
    private static readonly ModelShape Tiny = new("t5-tiny", 16, 1, 1, 2, 8, 32, "relu", 64);

    [TestCase("pt:6")]
    [TestCase("dept:4:3")]
    public void OneAndTwoReplicas_ReportStepTimesAndTheAllReduce(string method)
    {
        var runner = new ScalingRunner(Tiny, BenchMethod.Parse(method), batch: 3, DType.F32, warmupSteps: 1, timedSteps: 2);

        var one = runner.Measure([new CpuBackend()], collective: null);
        using var collective = new HostCollective(2);
        var two = runner.Measure([new CpuBackend(), new CpuBackend()], collective);

        foreach (var point in new[] { one, two })
        {
            Assert.That(point.Step.Count, Is.EqualTo(2));
            Assert.That(point.Step.Median, Is.Positive);
            Assert.That(point.Loss, Is.Positive.And.Not.NaN);
            Assert.That(point.GlobalBatch, Is.EqualTo(3));
            Assert.That(point.PeakGib, Is.Null, "no pool on the CPU");
            Assert.That(point.TrainableParameters, Is.EqualTo(BenchMethod.Parse(method).TrainableParameters(Tiny.ModelDim, BenchPlan.InputLength)));
        }
        Assert.That((one.Gpus, two.Gpus), Is.EqualTo((1, 2)));
        Assert.That(one.AllReduceMs, Is.Null);
        Assert.That(two.AllReduceMs, Is.Positive);
    }

    [Test]
    public void SeveralReplicas_NeedACollective() =>
        Assert.That(() => new ScalingRunner(Tiny, BenchMethod.Parse("pt"), 2, DType.F32, 0, 1).Measure([new CpuBackend(), new CpuBackend()], null),
            Throws.ArgumentException);
}
