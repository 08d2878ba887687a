using DePT.Tensors;
using static DePT.Tensors.DType;

namespace DePT.Tests.OpsGpu;

/// <summary>RMS norm and LayerNorm, forward (with the saved statistics) and backward, assigned and accumulated.</summary>
public class NormGpuTests : OpsGpuTest
{
    private static readonly (int[] Lead, int Dim)[] Shapes = [([1], 7), ([3], 7), ([2, 5], 8), ([4], 33), ([3], 300), ([2, 3], 770), ([2], 2050)];

    // (input, weight, output) for the forward; (dOutput, weight, dInput) for the backward, input as dOutput
    private static readonly (DType, DType, DType)[] Types = [(F32, F32, F32), (BF16, BF16, BF16), (BF16, F32, F32), (F32, BF16, BF16)];

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var (lead, dim) in Shapes)
            foreach (var (t0, t1, t2) in Types)
                yield return new TestCaseData(lead, dim, t0, t1, t2).SetArgDisplayNames($"[{string.Join(",", lead)}] d={dim} {t0}/{t1}/{t2}");
        // The narrowest row with a meaningful input gradient: at d = 1 (RMS norm) and d = 2 (LayerNorm) it is 0 up to
        // eps, leaving only rounding noise to compare.
        yield return new TestCaseData(new[] { 5 }, 3, F32, F32, F32).SetArgDisplayNames("[5] d=3 F32/F32/F32");
    }

    [TestCaseSource(nameof(Cases))]
    public void RmsNormMatchesCpu(int[] lead, int dim, DType xType, DType wType, DType yType)
    {
        int n = (int)Count(lead);
        var x = Input(Values(n * dim, 2f), xType, [.. lead, dim]);
        var w = Input(Uniform(dim, 0.5f, 1.5f), wType, dim);
        var y = Poisoned(yType, [.. lead, dim]);
        var rstd = Poisoned(F32, n);
        Both((be, g) => be.RmsNorm(y.On(g), rstd.On(g), x.On(g), w.On(g), 1e-6f));
        AssertClose(y, "RmsNorm output");
        AssertClose(rstd, "RmsNorm rstd", F32Bound);

        var dy = Input(Values(n * dim), xType, [.. lead, dim]);
        var dx = Poisoned(yType, [.. lead, dim]);
        Both((be, g) => be.RmsNormBackward(dx.On(g), dy.On(g), x.On(g), w.On(g), rstd.On(g)));
        AssertClose(dx, "RmsNorm dInput");

        var accumulated = Input(Values(n * dim), yType, [.. lead, dim]);
        Both((be, g) => be.RmsNormBackward(accumulated.On(g), dy.On(g), x.On(g), w.On(g), rstd.On(g), accumulate: true));
        AssertClose(accumulated, "RmsNorm dInput accumulated");
    }

    [TestCaseSource(nameof(Cases))]
    public void LayerNormMatchesCpu(int[] lead, int dim, DType xType, DType wType, DType yType)
    {
        if (dim == 1) Assert.Ignore("A one-column LayerNorm has zero variance: its output is the bias and its gradient zero.");
        int n = (int)Count(lead);
        var x = Input(Uniform(n * dim, -1f, 3f), xType, [.. lead, dim]);
        var w = Input(Uniform(dim, 0.5f, 1.5f), wType, dim);
        var b = Input(Values(dim), wType, dim);
        var y = Poisoned(yType, [.. lead, dim]);
        var mean = Poisoned(F32, n);
        var rstd = Poisoned(F32, n);
        Both((be, g) => be.LayerNorm(y.On(g), mean.On(g), rstd.On(g), x.On(g), w.On(g), b.On(g), 1e-12f));
        AssertClose(y, "LayerNorm output");
        AssertClose(mean, "LayerNorm mean", F32Bound);
        AssertClose(rstd, "LayerNorm rstd", F32Bound);

        var dy = Input(Values(n * dim), xType, [.. lead, dim]);
        var dx = Poisoned(yType, [.. lead, dim]);
        Both((be, g) => be.LayerNormBackward(dx.On(g), dy.On(g), x.On(g), w.On(g), mean.On(g), rstd.On(g)));
        AssertClose(dx, "LayerNorm dInput");

        var accumulated = Input(Values(n * dim), yType, [.. lead, dim]);
        Both((be, g) => be.LayerNormBackward(accumulated.On(g), dy.On(g), x.On(g), w.On(g), mean.On(g), rstd.On(g), accumulate: true));
        AssertClose(accumulated, "LayerNorm dInput accumulated");
    }
}
