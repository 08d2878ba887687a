using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Tensors;
using DePT.Tests.Ops;

namespace DePT.Tests.Training;

/// <summary>The CPU backend's SquaredNorm and AdamWUpdate against double references on fresh random data.</summary>
public class OptimizerOpTests
{
    private static readonly CpuBackend Cpu = new();

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(1000)]
    [TestCase(76800)]
    public void SquaredNormIsTheSumOfSquaresAndAccumulates(int count)
    {
        var rng = OpTest.NewRandom();
        var values = OpTest.Values(rng, count);
        using var input = OpTest.Upload(Cpu, values, DType.F32, count);
        using var result = OpTest.Poisoned(Cpu, DType.F32, 1);
        double expected = AdamWReference.SquaredNorm(values);

        // the double sum in element order, rounded once to fp32
        Cpu.SquaredNorm(result, input, accumulate: false);
        Assert.That(result.ToFloatArray()[0], Is.EqualTo((float)expected));

        Cpu.SquaredNorm(result, input, accumulate: true);
        Assert.That(result.ToFloatArray()[0], Is.EqualTo((float)((float)expected + expected)));
    }

    [TestCase(0f, 0f)]
    [TestCase(0.05f, 0f)]
    [TestCase(0.05f, 1f)]     // clipped: the squared norm below is far above 1
    [TestCase(0f, 1e4f)]      // a threshold above the norm: no change
    public void AdamWUpdateFollowsTheFormulasFromNonZeroMoments(float weightDecay, float maxGradNorm)
    {
        var rng = OpTest.NewRandom();
        const int n = 37;
        var start = OpTest.Values(rng, n);
        var gradient = OpTest.Values(rng, n);
        var m0 = OpTest.Values(rng, n, 0.1f);
        var v0 = Array.ConvertAll(OpTest.Values(rng, n, 0.1f), x => x * x);
        float squaredNorm = 4f + 10f * rng.NextSingle();
        var step = new AdamWStep(0.02f, 0.9f, 0.999f, 1e-6f, weightDecay, 7, maxGradNorm);

        using var p = OpTest.Upload(Cpu, start, DType.F32, n);
        using var g = OpTest.Upload(Cpu, gradient, DType.F32, n);
        using var m = OpTest.Upload(Cpu, m0, DType.F32, n);
        using var v = OpTest.Upload(Cpu, v0, DType.F32, n);
        using var norm = OpTest.Upload(Cpu, [squaredNorm], DType.F32, 1);
        Cpu.AdamWUpdate(p, g, m, v, norm, step);

        // The reference from the same moments: AdamWReference starts at zero moments, so set them first.
        var reference = new AdamWReference(start);
        for (int i = 0; i < n; i++)
        {
            reference.FirstMoment[i] = m0[i];
            reference.SecondMoment[i] = v0[i];
        }
        double clip = maxGradNorm > 0 ? Math.Min(1, maxGradNorm / (Math.Sqrt(squaredNorm) + 1e-6)) : 1;
        reference.Step(gradient, clip, step.LearningRate, step.Beta1, step.Beta2, step.Epsilon, weightDecay, step.Step);
        OpTest.AssertClose(p.ToFloatArray(), reference.Value, 1e-6, "parameter");
        OpTest.AssertClose(m.ToFloatArray(), reference.FirstMoment, 1e-6, "first moment");
        OpTest.AssertClose(v.ToFloatArray(), reference.SecondMoment, 1e-6, "second moment");
        Assert.That(g.ToFloatArray(), Is.EqualTo(gradient), "the gradient is read, not changed");
    }

    [Test]
    public void WithoutANormTheGradientIsUnclipped()
    {
        var rng = OpTest.NewRandom();
        var gradient = OpTest.Values(rng, 5, 10f);   // a norm far above the threshold, which must not matter
        float[] zeros = new float[5];
        using var p = OpTest.Upload(Cpu, OpTest.Values(rng, 5), DType.F32, 5);
        using var g = OpTest.Upload(Cpu, gradient, DType.F32, 5);
        using var m = OpTest.Upload(Cpu, zeros, DType.F32, 5);
        using var v = OpTest.Upload(Cpu, zeros, DType.F32, 5);
        Cpu.AdamWUpdate(p, g, m, v, null, new AdamWStep(0.01f, 0.9f, 0.999f, 1e-6f, 0f, 1, 1f));
        OpTest.AssertClose(m.ToFloatArray(), gradient.Select(x => (1 - (double)0.9f) * x).ToArray(), 1e-6, "m = (1 − β1)·g");
    }
}
