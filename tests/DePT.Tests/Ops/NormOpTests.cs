using DePT.Backends.Cpu;
using DePT.Tensors;
using static DePT.Tests.Ops.OpTest;

namespace DePT.Tests.Ops;

/// <summary>RmsNorm and LayerNorm: forwards and saved statistics against double formulas, backwards against finite differences.</summary>
public class NormOpTests
{
    private readonly CpuBackend _cpu = new();

    public static IEnumerable<TestCaseData> Shapes()
    {
        yield return Case([1], 1);
        yield return Case([1], 7);
        yield return Case([3], 32);
        yield return Case([2, 5], 33);
        yield return Case([4, 3], 384);
        yield return Case([257], 64);
    }

    private static TestCaseData Case(int[] lead, int d) => new TestCaseData(lead, d).SetArgDisplayNames($"[{string.Join(",", lead)}] d={d}");

    [TestCaseSource(nameof(Shapes))]
    public void RmsNormMatchesT5InDouble(int[] lead, int d)
    {
        var rng = NewRandom();
        int n = (int)Count(lead);
        const float eps = 1e-6f;
        var x = Values(rng, n * d, 3f);
        var w = Values(rng, d);
        using var input = Upload(_cpu, x, DType.F32, [.. lead, d]);
        using var weight = Upload(_cpu, w, DType.F32, d);
        using var output = Poisoned(_cpu, DType.F32, [.. lead, d]);
        using var rstd = Poisoned(_cpu, DType.F32, n);

        _cpu.RmsNorm(output, rstd, input, weight, eps);
        var (expected, expectedRstd) = RmsReference(x, w, n, d, eps);
        AssertClose(output.ToFloatArray(), expected, 1e-5, $"RmsNorm {input.ShapeText}");
        AssertClose(rstd.ToFloatArray(), expectedRstd, 1e-6, $"RmsNorm rstd of {input.ShapeText}");
    }

    [TestCaseSource(nameof(Shapes))]
    public void LayerNormMatchesTheFormulaInDouble(int[] lead, int d)
    {
        var rng = NewRandom();
        int n = (int)Count(lead);
        const float eps = 1e-5f;
        var x = Values(rng, n * d, 2f);
        for (int i = 0; i < x.Length; i++) x[i] += 0.7f; // an offset the mean must remove
        var w = Values(rng, d);
        var b = Values(rng, d);
        using var input = Upload(_cpu, x, DType.F32, [.. lead, d]);
        using var weight = Upload(_cpu, w, DType.F32, d);
        using var bias = Upload(_cpu, b, DType.F32, d);
        using var output = Poisoned(_cpu, DType.F32, [.. lead, d]);
        using var mean = Poisoned(_cpu, DType.F32, [.. lead]);
        using var rstd = Poisoned(_cpu, DType.F32, [.. lead]);

        _cpu.LayerNorm(output, mean, rstd, input, weight, bias, eps);
        var (expected, expectedMean, expectedRstd) = LayerReference(x, w, b, n, d, eps);
        AssertClose(output.ToFloatArray(), expected, 1e-5, $"LayerNorm {input.ShapeText}");
        AssertClose(mean.ToFloatArray(), expectedMean, 1e-6, $"LayerNorm mean of {input.ShapeText}");
        AssertClose(rstd.ToFloatArray(), expectedRstd, 1e-6, $"LayerNorm rstd of {input.ShapeText}");
    }

    [TestCaseSource(nameof(Shapes))]
    public void Bf16NormsStayWithinBf16Error(int[] lead, int d)
    {
        var rng = NewRandom();
        int n = (int)Count(lead);
        var x = Values(rng, n * d);
        var w = Values(rng, d);
        var b = Values(rng, d);
        using var input = Upload(_cpu, x, DType.BF16, n, d);
        using var weight = Upload(_cpu, w, DType.BF16, d);
        using var bias = Upload(_cpu, b, DType.BF16, d);
        using var output = Poisoned(_cpu, DType.BF16, n, d);
        using var mean = Poisoned(_cpu, DType.F32, n);
        using var rstd = Poisoned(_cpu, DType.F32, n);

        x = Rounded(x, DType.BF16);
        w = Rounded(w, DType.BF16);
        b = Rounded(b, DType.BF16);
        _cpu.RmsNorm(output, rstd, input, weight, 1e-6f);
        AssertClose(output.ToFloatArray(), RmsReference(x, w, n, d, 1e-6f).Output, 1e-2, $"bf16 RmsNorm {input.ShapeText}");
        if (d == 1) return; // one element has no spread: LayerNorm's output is then the bias alone
        _cpu.LayerNorm(output, mean, rstd, input, weight, bias, 1e-5f);
        AssertClose(output.ToFloatArray(), LayerReference(x, w, b, n, d, 1e-5f).Output, 1e-2, $"bf16 LayerNorm {input.ShapeText}");
    }

    [TestCase(1, 5)]
    [TestCase(3, 8)]
    [TestCase(2, 33)]
    public void RmsNormBackwardMatchesFiniteDifferences(int n, int d)
    {
        var rng = NewRandom();
        var x = Values(rng, n * d);
        var probe = Values(rng, n * d);
        var start = Values(rng, n * d);
        using var input = Upload(_cpu, x, DType.F32, n, d);
        using var weight = Upload(_cpu, Values(rng, d), DType.F32, d);
        using var output = Poisoned(_cpu, DType.F32, n, d);
        using var rstd = Poisoned(_cpu, DType.F32, n);
        using var dOutput = Upload(_cpu, probe, DType.F32, n, d);
        using var dInput = Poisoned(_cpu, DType.F32, n, d);

        _cpu.RmsNorm(output, rstd, input, weight, 1e-6f);
        _cpu.RmsNormBackward(dInput, dOutput, input, weight, rstd);
        var analytic = dInput.ToFloatArray();
        var fd = FiniteDifferences(rng, input, x, () =>
        {
            _cpu.RmsNorm(output, rstd, input, weight, 1e-6f);
            return Probe(output, probe);
        });
        AssertGradient(analytic, fd, 2e-3, $"RmsNorm dInput ({n}, {d})");

        _cpu.RmsNorm(output, rstd, input, weight, 1e-6f);
        dInput.CopyFrom(start);
        _cpu.RmsNormBackward(dInput, dOutput, input, weight, rstd, accumulate: true);
        AssertClose(dInput.ToFloatArray(), analytic.Select((g, i) => (double)g + start[i]).ToArray(), 1e-6, "RmsNorm dInput +=");
    }

    [TestCase(1, 5)]
    [TestCase(3, 8)]
    [TestCase(2, 33)]
    public void LayerNormBackwardMatchesFiniteDifferences(int n, int d)
    {
        var rng = NewRandom();
        var x = Values(rng, n * d);
        var probe = Values(rng, n * d);
        var start = Values(rng, n * d);
        using var input = Upload(_cpu, x, DType.F32, n, d);
        using var weight = Upload(_cpu, Values(rng, d), DType.F32, d);
        using var bias = Upload(_cpu, Values(rng, d), DType.F32, d);
        using var output = Poisoned(_cpu, DType.F32, n, d);
        using var mean = Poisoned(_cpu, DType.F32, n);
        using var rstd = Poisoned(_cpu, DType.F32, n);
        using var dOutput = Upload(_cpu, probe, DType.F32, n, d);
        using var dInput = Poisoned(_cpu, DType.F32, n, d);

        _cpu.LayerNorm(output, mean, rstd, input, weight, bias, 1e-5f);
        _cpu.LayerNormBackward(dInput, dOutput, input, weight, mean, rstd);
        var analytic = dInput.ToFloatArray();
        var fd = FiniteDifferences(rng, input, x, () =>
        {
            _cpu.LayerNorm(output, mean, rstd, input, weight, bias, 1e-5f);
            return Probe(output, probe);
        });
        AssertGradient(analytic, fd, 2e-3, $"LayerNorm dInput ({n}, {d})");

        _cpu.LayerNorm(output, mean, rstd, input, weight, bias, 1e-5f);
        dInput.CopyFrom(start);
        _cpu.LayerNormBackward(dInput, dOutput, input, weight, mean, rstd, accumulate: true);
        AssertClose(dInput.ToFloatArray(), analytic.Select((g, i) => (double)g + start[i]).ToArray(), 1e-6, "LayerNorm dInput +=");
    }

    private static (double[] Output, double[] Rstd) RmsReference(float[] x, float[] w, int n, int d, float eps)
    {
        var y = new double[n * d];
        var rstd = new double[n];
        for (int r = 0; r < n; r++)
        {
            double squares = 0;
            for (int j = 0; j < d; j++) squares += (double)x[r * d + j] * x[r * d + j];
            rstd[r] = 1 / Math.Sqrt(squares / d + eps);
            for (int j = 0; j < d; j++) y[r * d + j] = x[r * d + j] * rstd[r] * w[j];
        }
        return (y, rstd);
    }

    private static (double[] Output, double[] Mean, double[] Rstd) LayerReference(float[] x, float[] w, float[] b, int n, int d, float eps)
    {
        var y = new double[n * d];
        var mean = new double[n];
        var rstd = new double[n];
        for (int r = 0; r < n; r++)
        {
            double sum = 0, squares = 0;
            for (int j = 0; j < d; j++) sum += x[r * d + j];
            mean[r] = sum / d;
            for (int j = 0; j < d; j++) squares += (x[r * d + j] - mean[r]) * (x[r * d + j] - mean[r]);
            rstd[r] = 1 / Math.Sqrt(squares / d + eps);
            for (int j = 0; j < d; j++) y[r * d + j] = (x[r * d + j] - mean[r]) * rstd[r] * w[j] + b[j];
        }
        return (y, mean, rstd);
    }
}
