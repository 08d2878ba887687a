using DePT.Backends;
using DePT.Tensors;
using DePT.Training;
using static DePT.Tensors.DType;

namespace DePT.Tests.OpsGpu;

/// <summary>
/// The optimiser kernels (optim.cuh) against the CPU backend on fresh random data: SquaredNorm (and its
/// run-to-run determinism), AdamWUpdate with and without clipping and weight decay, and whole AdamW steps
/// queued back to back with no synchronisation between them. Bound 1e-6: both sides compute the update in
/// fp32 with the same roundings, and the norm in double.
/// </summary>
public class OptimizerGpuTests : OpsGpuTest
{
    private const double Bound = 1e-6;

    // 1 and 7: a partial chunk; 2056: more than 1 block; 1 << 21 + 3: more than the 1024 partial blocks' first sweep
    [TestCase(1)]
    [TestCase(7)]
    [TestCase(2056)]
    [TestCase(76800)]
    [TestCase((1 << 21) + 3)]
    public void SquaredNormMatchesCpuAndRepeatsBitForBit(int count)
    {
        var x = Input(Values(count), F32, count);
        var norm = Poisoned(F32, 1);
        Both((be, g) => be.SquaredNorm(norm.On(g), x.On(g), accumulate: false));
        AssertClose(norm, "Σ x²", Bound);
        float first = norm.Gpu.ToFloatArray()[0];

        Gpu.SquaredNorm(norm.Gpu, x.Gpu, accumulate: false);
        Assert.That(norm.Gpu.ToFloatArray()[0], Is.EqualTo(first), "a second run gives the same bits");

        var y = Input(Values(count / 2 + 1), F32, count / 2 + 1);
        Both((be, g) => be.SquaredNorm(norm.On(g), y.On(g), accumulate: true));
        AssertClose(norm, "Σ x² + Σ y²", Bound);
    }

    public static IEnumerable<TestCaseData> UpdateCases()
    {
        foreach (var shape in new[] { new[] { 3 }, [9], [4, 37], [60, 768] })
            foreach (var (weightDecay, maxGradNorm, withNorm) in new[] { (0f, 0f, false), (0.01f, 0f, false), (0f, 1f, true), (0.01f, 1e3f, true) })
                yield return new TestCaseData(shape, weightDecay, maxGradNorm, withNorm)
                    .SetArgDisplayNames($"[{string.Join(",", shape)}] wd {weightDecay} clip {(withNorm ? maxGradNorm.ToString() : "none")}");
    }

    [TestCaseSource(nameof(UpdateCases))]
    public void AdamWUpdateMatchesCpu(int[] shape, float weightDecay, float maxGradNorm, bool withNorm)
    {
        long n = Count(shape);
        var p = Input(Values(n), F32, shape);
        var gradient = Values(n);
        var g = Input(gradient, F32, shape);
        var m = Input(Values(n, 0.1f), F32, shape);
        var v = Input(Array.ConvertAll(Values(n, 0.1f), x => x * x), F32, shape);
        var norm = Input([1f + 50f * Rng.NextSingle()], F32, 1);
        var step = new AdamWStep(0.01f + 0.1f * Rng.NextSingle(), 0.9f, 0.999f, 1e-6f, weightDecay, 1 + Rng.Next(100), maxGradNorm);

        Both((be, on) => be.AdamWUpdate(p.On(on), g.On(on), m.On(on), v.On(on), withNorm ? norm.On(on) : null, step));
        AssertClose(p, "parameter", Bound);
        AssertClose(m, "first moment", Bound);
        AssertClose(v, "second moment", Bound);
        Assert.That(g.Gpu.ToFloatArray(), Is.EqualTo(gradient), "the gradient is read, not changed");
    }

    [Test]
    public void AdamWStepsMatchCpuWithoutSynchronisingBetweenThem()
    {
        var settings = new AdamWSettings(WeightDecay: 0.01f, WarmupSteps: 2, TotalSteps: 10, MaxGradNorm: 1f);
        int[][] shapes = [[5, 64], [16, 4], [4, 64]];
        var values = shapes.Select(s => Input(Values(Count(s)), F32, s)).ToArray();
        var gradients = shapes.Select(s => Poisoned(F32, s)).ToArray();
        using var cpu = new AdamW(Cpu, Groups(values, gradients, gpu: false), settings);
        using var gpu = new AdamW(Gpu, Groups(values, gradients, gpu: true), settings);

        for (int k = 0; k < 5; k++)
        {
            // fresh gradients with a global norm near 10: every step clips, by a coefficient read on the device
            foreach (var gradient in gradients)
            {
                var fresh = Values(gradient.Cpu.Length, 0.5f);
                gradient.Cpu.CopyFrom(fresh);
                gradient.Gpu.CopyFrom(fresh);
            }
            cpu.Step();
            gpu.Step();
        }

        for (int i = 0; i < shapes.Length; i++)
        {
            AssertClose(values[i], $"parameter {i} after 5 steps", Bound);
            AssertClose(new Pair(cpu.State[i].FirstMoment, gpu.State[i].FirstMoment), $"m of parameter {i}", Bound);
            AssertClose(new Pair(cpu.State[i].SecondMoment, gpu.State[i].SecondMoment), $"v of parameter {i}", Bound);
            Assert.That(gradients[i].Gpu.ToFloatArray(), Is.All.EqualTo(0f), $"gradient {i} zeroed");
        }
        Assert.That(gpu.StepCount, Is.EqualTo(5));
    }

    private static ParameterGroup[] Groups(Pair[] values, Pair[] gradients, bool gpu) =>
    [
        new ParameterGroup("prompt", 0.3f, [new TrainableTensor("prompt_embeddings", values[0].On(gpu), gradients[0].On(gpu))]),
        new ParameterGroup("low-rank", 1e-2f,
        [
            new TrainableTensor("lora_embedding_A", values[1].On(gpu), gradients[1].On(gpu)),
            new TrainableTensor("lora_embedding_B", values[2].On(gpu), gradients[2].On(gpu)),
        ]),
    ];
}
