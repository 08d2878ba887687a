using DePT.Backends.Cpu;
using DePT.Models;
using DePT.Numerics;
using DePT.Tensors;
using static DePT.Tests.Ops.OpTest;

namespace DePT.Tests.Ops;

/// <summary>Activations (plain and gated) and the arithmetic ops against double formulas; derivatives against finite differences.</summary>
public class ElementwiseOpTests
{
    private readonly CpuBackend _cpu = new();

    private static readonly int[][] Shapes = [[1], [7], [3, 5], [2, 3, 33], [5000], [3, 4099]];

    public static IEnumerable<TestCaseData> ActivationCases() =>
        from fn in Enum.GetValues<ActivationFunction>()
        from shape in Shapes
        from dtype in new[] { DType.F32, DType.BF16 }
        select new TestCaseData(fn, shape, dtype).SetArgDisplayNames($"{fn} [{string.Join(",", shape)}] {dtype}");

    [TestCaseSource(nameof(ActivationCases))]
    public void ActivationMatchesItsFormula(ActivationFunction fn, int[] shape, DType dtype)
    {
        var rng = NewRandom();
        var x = Values(rng, Count(shape), 4f);
        using var input = Upload(_cpu, x, dtype, shape);
        using var output = Poisoned(_cpu, dtype, shape);
        _cpu.Activation(output, input, fn);
        var expected = AsStored(x, dtype).Select(v => Reference(fn, v)).ToArray();
        AssertClose(output.ToFloatArray(), expected, dtype == DType.F32 ? 1e-6 : 1e-2, $"{fn} {input.ShapeText}");

        // In place: the output may be the input.
        _cpu.Activation(input, input, fn);
        AssertClose(input.ToFloatArray(), expected, dtype == DType.F32 ? 1e-6 : 1e-2, $"{fn} in place {input.ShapeText}");
    }

    /// <summary>Backwards are checked in fp32 only; bf16 is checked forward.</summary>
    public static IEnumerable<TestCaseData> BackwardCases() =>
        from fn in Enum.GetValues<ActivationFunction>()
        from shape in Shapes
        select new TestCaseData(fn, shape).SetArgDisplayNames($"{fn} [{string.Join(",", shape)}]");

    [TestCaseSource(nameof(BackwardCases))]
    public void ActivationBackwardMatchesFiniteDifferences(ActivationFunction fn, int[] shape)
    {
        var rng = NewRandom();
        var x = Values(rng, Count(shape), 4f);
        var g = Values(rng, x.Length);
        using var input = Upload(_cpu, x, DType.F32, shape);
        using var dOutput = Upload(_cpu, g, DType.F32, shape);
        using var dInput = Poisoned(_cpu, DType.F32, shape);
        _cpu.ActivationBackward(dInput, dOutput, input, fn);
        // The forward is checked against Reference above; its central differences in double give the derivative.
        var numeric = x.Select((v, i) => g[i] * Difference(u => Reference(fn, u), v)).ToArray();
        AssertClose(dInput.ToFloatArray(), numeric, 1e-5, $"{fn}′ {input.ShapeText}");
    }

    public static IEnumerable<TestCaseData> GatedCases() =>
        from fn in Enum.GetValues<ActivationFunction>()
        from shape in new[] { new[] { 1, 2 }, new[] { 3, 14 }, new[] { 2, 5, 66 }, new[] { 300, 128 } }
        select new TestCaseData(fn, shape).SetArgDisplayNames($"{fn} [{string.Join(",", shape)}]");

    [TestCaseSource(nameof(GatedCases))]
    public void GatedActivationIsActivatedGateTimesUp(ActivationFunction fn, int[] shape)
    {
        var rng = NewRandom();
        int width = shape[^1], f = width / 2, n = (int)(Count(shape) / width);
        var x = Values(rng, Count(shape), 3f);
        int[] outShape = [.. shape[..^1], f];
        using var input = Upload(_cpu, x, DType.F32, shape);
        using var output = Poisoned(_cpu, DType.F32, outShape);
        _cpu.GatedActivation(output, input, fn);
        var expected = new double[n * f];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < f; j++)
                expected[r * f + j] = Reference(fn, x[r * width + j]) * x[r * width + f + j];
        AssertClose(output.ToFloatArray(), expected, 1e-6, $"gated {fn} {input.ShapeText}");

        using var bf16Input = Upload(_cpu, x, DType.BF16, shape);
        using var bf16Output = Poisoned(_cpu, DType.BF16, outShape);
        _cpu.GatedActivation(bf16Output, bf16Input, fn);
        var stored = Rounded(x, DType.BF16);
        for (int r = 0; r < n; r++)
            for (int j = 0; j < f; j++)
                expected[r * f + j] = Reference(fn, stored[r * width + j]) * stored[r * width + f + j];
        AssertClose(bf16Output.ToFloatArray(), expected, 1e-2, $"bf16 gated {fn} {input.ShapeText}");
    }

    [TestCaseSource(nameof(GatedCases))]
    public void GatedBackwardMatchesFiniteDifferences(ActivationFunction fn, int[] shape)
    {
        var rng = NewRandom();
        int width = shape[^1], f = width / 2, n = (int)(Count(shape) / width);
        int[] outShape = [.. shape[..^1], f];
        var x = Values(rng, Count(shape), 3f);
        var g = Values(rng, Count(outShape));
        using var input = Upload(_cpu, x, DType.F32, shape);
        using var dOutput = Upload(_cpu, g, DType.F32, outShape);
        using var dInput = Poisoned(_cpu, DType.F32, shape);
        _cpu.GatedActivationBackward(dInput, dOutput, input, fn);

        // Central differences in double of fn(gate)·up, in the gate and in the up direction.
        var numeric = new double[x.Length];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < f; j++)
            {
                double gate = x[r * width + j], up = x[r * width + f + j], dy = g[r * f + j];
                numeric[r * width + j] = dy * Difference(u => Reference(fn, u) * up, gate);
                numeric[r * width + f + j] = dy * Difference(u => Reference(fn, gate) * u, up);
            }
        AssertClose(dInput.ToFloatArray(), numeric, 1e-5, $"gated {fn} dInput {input.ShapeText}");
    }

    private static double Difference(Func<double, double> fn, double x, double h = 1e-5) => (fn(x + h) - fn(x - h)) / (2 * h);

    [TestCase(DType.F32, DType.F32, DType.F32)]
    [TestCase(DType.BF16, DType.F32, DType.BF16)]
    [TestCase(DType.F32, DType.BF16, DType.F32)]
    public void AddIsElementwiseAndMayWriteIntoAnOperand(DType outType, DType aType, DType bType)
    {
        var rng = NewRandom();
        int[] shape = [3, 1031];
        var a = Values(rng, Count(shape));
        var b = Values(rng, Count(shape));
        var expected = AsStored(a, aType).Zip(AsStored(b, bType), (x, y) => x + y).ToArray();
        using var ta = Upload(_cpu, a, aType, shape);
        using var tb = Upload(_cpu, b, bType, shape);
        using var output = Poisoned(_cpu, outType, shape);
        _cpu.Add(output, ta, tb);
        AssertClose(output.ToFloatArray(), expected, outType == DType.F32 ? 1e-7 : 1e-2, $"Add into {output.ShapeText}");
        _cpu.Add(tb, ta, tb);
        AssertClose(tb.ToFloatArray(), expected, bType == DType.F32 ? 1e-7 : 1e-2, $"Add into b {tb.ShapeText}");
    }

    [Test]
    public void ScaleMultipliesInPlace()
    {
        var rng = NewRandom();
        var x = Values(rng, 9001);
        using var t = Upload(_cpu, x, DType.F32, 9001);
        _cpu.Scale(t, t, -0.37f);
        Assert.That(t.ToFloatArray(), Is.EqualTo(x.Select(v => v * -0.37f).ToArray()));
    }

    [Test]
    public void CopyConvertsBetweenF32AndBf16AsBFloat16Does()
    {
        var rng = NewRandom();
        var x = Values(rng, 5005, 100f);
        using var f32 = Upload(_cpu, x, DType.F32, 5005);
        using var bf16 = Poisoned(_cpu, DType.BF16, 35, 143); // the same count in another shape
        _cpu.Copy(bf16, f32);
        var expected = x.Select(v => BFloat16.ToSingle(BFloat16.FromSingle(v))).ToArray();
        Assert.That(bf16.ToFloatArray(), Is.EqualTo(expected), "F32 → BF16 rounds to nearest even");
        using var back = Poisoned(_cpu, DType.F32, 5005);
        _cpu.Copy(back, bf16);
        Assert.That(back.ToFloatArray(), Is.EqualTo(expected), "BF16 → F32 is exact");
    }

    [TestCase(DType.F32)]
    [TestCase(DType.BF16)]
    public void FillSetsEveryElement(DType dtype)
    {
        using var t = Poisoned(_cpu, dtype, 3, 7);
        _cpu.Fill(t, -2.5f);
        Assert.That(t.ToFloatArray(), Is.All.EqualTo(-2.5f));
    }

    [Test]
    public void ErfMatchesAnIndependentSeriesToDoubleRounding()
    {
        double worst = 0, worstAt = 0;
        for (double x = -6; x <= 6; x += 0.01)
        {
            double error = Math.Abs(CpuMath.Erf(x) - SeriesErf(x));
            if (error > worst) (worst, worstAt) = (error, x);
        }
        Assert.That(worst, Is.LessThan(1e-12), $"worst |erf error| {worst:G3} at x = {worstAt}");
        // The tail keeps its relative accuracy: erfc(5) = 1.5374597944280348e-12.
        Assert.That(CpuMath.Erfc(5) / 1.5374597944280348e-12 - 1, Is.EqualTo(0).Within(1e-12));
        Assert.That(CpuMath.Erfc(-5), Is.EqualTo(2 - 1.5374597944280348e-12).Within(1e-15));
    }

    /// <summary>erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)): positive terms, exact enough for |x| ≤ 6.</summary>
    private static double SeriesErf(double x)
    {
        double term = x, sum = x;
        for (int n = 1; Math.Abs(term) > 1e-18 * Math.Abs(sum); n++)
        {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
    }

    private static double Reference(ActivationFunction fn, double x) => fn switch
    {
        ActivationFunction.Relu => Math.Max(x, 0),
        ActivationFunction.Gelu => 0.5 * x * (1 + SeriesErf(x / Math.Sqrt(2))),
        ActivationFunction.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        ActivationFunction.Silu => x / (1 + Math.Exp(-x)),
        ActivationFunction.Tanh => Math.Tanh(x),
        _ => throw new ArgumentOutOfRangeException(nameof(fn)),
    };
}
