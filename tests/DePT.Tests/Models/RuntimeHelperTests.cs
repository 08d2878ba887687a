using DePT.Backends.Cpu;
using DePT.Models.Runtime;
using DePT.Models.T5;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>The runtime's small helpers: device-side random weights, masks with prompt rows, targets, the step timer.</summary>
public class RuntimeHelperTests
{
    private readonly CpuBackend _cpu = new();

    [Test]
    public void DeviceRandom_IsUniformOnItsRangeAndSeeded()
    {
        ulong seed = (ulong)TestContext.CurrentContext.Random.NextInt64();
        float[] Draw(ulong s, ulong stream)
        {
            using var tensor = _cpu.Allocate(DType.F32, 100, 200);
            DeviceRandom.FillUniform(_cpu, tensor, -0.5f, 1.5f, s, stream);
            return tensor.ToFloatArray();
        }

        float[] a = Draw(seed, 3), again = Draw(seed, 3), otherStream = Draw(seed, 4), otherSeed = Draw(seed + 1, 3);

        Assert.Multiple(() =>
        {
            Assert.That(a, Has.All.InRange(-0.5f, 1.5f - 1f / 128));
            Assert.That(a.Average(), Is.EqualTo(0.5).Within(0.02));
            Assert.That(a.Count(v => v < 0), Is.EqualTo(a.Length / 4).Within(a.Length / 50), "a quarter of the range lies below 0");
            Assert.That(a.Distinct().Count(), Is.EqualTo(256));
            Assert.That(again, Is.EqualTo(a));
            Assert.That(otherStream, Is.Not.EqualTo(a));
            Assert.That(otherSeed, Is.Not.EqualTo(a));
        });
    }

    [Test]
    public void AttentionMasks_WithPromptRows_PrependsOnes()
    {
        int[] mask = AttentionMasks.WithPromptRows([1, 1, 0, 1, 0, 0], 2, 3, 2);

        Assert.That(mask, Is.EqualTo(new[] { 1, 1, 1, 1, 0, 1, 1, 1, 0, 0 }));
    }

    [Test]
    public void T5Targets_ShiftRight_AndBadLabels()
    {
        Assert.That(T5Targets.ShiftRight([5, 6, -100, 7, 8, 9], 2, 3, decoderStartTokenId: 0, padTokenId: 3), Is.EqualTo(new[] { 0, 5, 6, 0, 7, 8 }));
        var e = Assert.Throws<ArgumentException>(() => T5Targets.Create(_cpu, [1, 2, 96, 3], [0, 1, 0, 1], 2, 2, vocabSize: 96));
        Assert.That(e!.Message, Does.Contain("Label 96").And.Contain("[0, 96)"));
        Assert.Throws<ArgumentException>(() => T5Targets.Create(_cpu, [-100, -100], [0, 1], 1, 2, vocabSize: 96));
    }

    [Test]
    public void StepTimer_OnTheCpu_MeasuresTimeWithoutAPool()
    {
        using var timer = new StepTimer(_cpu);

        var measurement = timer.Measure(() => Thread.Sleep(20));

        Assert.That(measurement.Milliseconds, Is.GreaterThanOrEqualTo(19));
        Assert.That(measurement.PeakPoolBytes, Is.Null);
    }
}
