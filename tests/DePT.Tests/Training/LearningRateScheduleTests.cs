using DePT.Backends.Cpu;
using DePT.Tensors;
using DePT.Training;

namespace DePT.Tests.Training;

/// <summary>The linear warmup then linear decay of <see cref="AdamW.LearningRateScale"/>.</summary>
public class LearningRateScheduleTests
{
    private static readonly CpuBackend Cpu = new();

    [TestCase(0, 0.0)]
    [TestCase(1, 0.25)]
    [TestCase(2, 0.5)]
    [TestCase(3, 0.75)]
    [TestCase(4, 1.0)]       // warmup over: the peak
    [TestCase(6, 0.75)]      // (12 − 6) / (12 − 4)
    [TestCase(8, 0.5)]
    [TestCase(11, 0.125)]
    [TestCase(12, 0.0)]      // 0 at TotalSteps
    [TestCase(20, 0.0)]      // and after
    public void WarmsUpOverWarmupStepsThenDecaysToZeroAtTotalSteps(int step, double expected)
    {
        using var adamw = Optimizer(new AdamWSettings(WarmupSteps: 4, TotalSteps: 12));
        Assert.That(adamw.LearningRateScale(step), Is.EqualTo(expected).Within(1e-7));
    }

    [TestCase(0, 1.0)]
    [TestCase(5, 0.5)]
    [TestCase(10, 0.0)]
    public void WithoutWarmupItStartsAtThePeak(int step, double expected)
    {
        using var adamw = Optimizer(new AdamWSettings(WarmupSteps: 0, TotalSteps: 10));
        Assert.That(adamw.LearningRateScale(step), Is.EqualTo(expected).Within(1e-7));
    }

    [Test]
    public void TheDefaultsAreTheReferences()
    {
        var defaults = new AdamWSettings();
        Assert.That(defaults, Is.EqualTo(new AdamWSettings(0.3f, 1e-4f, 0.9f, 0.999f, 1e-6f, 0f, 500, 30000, 1f)));
        using var adamw = Optimizer(defaults);
        Assert.That(adamw.LearningRateScale(250), Is.EqualTo(0.5f));
        Assert.That(adamw.LearningRateScale(500), Is.EqualTo(1f));
        Assert.That(adamw.LearningRateScale(15250), Is.EqualTo(0.5f));
        Assert.That(adamw.LearningRateScale(30000), Is.EqualTo(0f));
    }

    [Test]
    public void ANegativeStepIsRefused()
    {
        using var adamw = Optimizer(new AdamWSettings());
        Assert.Throws<ArgumentOutOfRangeException>(() => adamw.LearningRateScale(-1));
    }

    private static AdamW Optimizer(AdamWSettings settings)
    {
        var value = Cpu.Allocate(DType.F32, 2);
        var gradient = Cpu.Allocate(DType.F32, 2);
        return new AdamW(Cpu, [new ParameterGroup("only", 0.1f, [new TrainableTensor("p", value, gradient)])], settings);
    }
}
