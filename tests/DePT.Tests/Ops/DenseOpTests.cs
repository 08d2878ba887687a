using DePT.Backends.Cpu;
using DePT.Tensors;
using static DePT.Tests.Ops.OpTest;

namespace DePT.Tests.Ops;

/// <summary>Linear and its backwards against double-precision sums, over shapes that hit every tile edge of the CPU GEMM.</summary>
public class DenseOpTests
{
    private readonly CpuBackend _cpu = new();

    /// <summary>(leading dims, in, out): N = 1, fewer rows than a tile, odd sizes, several k-blocks, and the parallel path.</summary>
    public static IEnumerable<TestCaseData> Shapes()
    {
        yield return Case([1], 1, 1);
        yield return Case([1], 37, 19);
        yield return Case([5], 16, 8);
        yield return Case([6], 13, 17);
        yield return Case([7], 33, 29);
        yield return Case([2, 5], 24, 40);
        yield return Case([3, 13], 300, 35);
        yield return Case([101], 517, 33);
        yield return Case([97], 130, 211);
        yield return Case([4, 50], 128, 260);
    }

    private static TestCaseData Case(int[] lead, int inFeatures, int outFeatures) =>
        new TestCaseData(lead, inFeatures, outFeatures).SetArgDisplayNames($"[{string.Join(",", lead)}] {inFeatures}->{outFeatures}");

    [TestCaseSource(nameof(Shapes))]
    public void LinearMatchesTheSumInDouble(int[] lead, int inFeatures, int outFeatures)
    {
        var rng = NewRandom();
        int n = (int)Count(lead);
        var x = Values(rng, n * inFeatures);
        var w = Values(rng, outFeatures * inFeatures);
        var bias = Values(rng, outFeatures);
        using var input = Upload(_cpu, x, DType.F32, [.. lead, inFeatures]);
        using var weight = Upload(_cpu, w, DType.F32, outFeatures, inFeatures);
        using var b = Upload(_cpu, bias, DType.F32, outFeatures);
        using var output = Poisoned(_cpu, DType.F32, [.. lead, outFeatures]);

        _cpu.Linear(output, input, weight, b);
        AssertClose(output.ToFloatArray(), Reference(x, w, bias, n, inFeatures, outFeatures), 1e-5, $"Linear {input.ShapeText}·{weight.ShapeText}ᵀ + bias");

        output.FillBytes(0xFF);
        _cpu.Linear(output, input, weight, null);
        AssertClose(output.ToFloatArray(), Reference(x, w, null, n, inFeatures, outFeatures), 1e-5, $"Linear {input.ShapeText}·{weight.ShapeText}ᵀ");
    }

    [TestCaseSource(nameof(Shapes))]
    public void LinearAccumulatesIntoTheOutput(int[] lead, int inFeatures, int outFeatures)
    {
        var rng = NewRandom();
        int n = (int)Count(lead);
        var x = Values(rng, n * inFeatures);
        var w = Values(rng, outFeatures * inFeatures);
        var bias = Values(rng, outFeatures);
        var start = Values(rng, n * outFeatures);
        using var input = Upload(_cpu, x, DType.F32, n, inFeatures);
        using var weight = Upload(_cpu, w, DType.F32, outFeatures, inFeatures);
        using var b = Upload(_cpu, bias, DType.F32, outFeatures);
        using var output = Upload(_cpu, start, DType.F32, n, outFeatures);

        _cpu.Linear(output, input, weight, b, accumulate: true);
        var expected = Reference(x, w, bias, n, inFeatures, outFeatures);
        for (int i = 0; i < expected.Length; i++) expected[i] += start[i];
        // the old contents and the product are O(1): where they cancel (a 1×1 case) f32 rounding is judged on their scale
        AssertClose(output.ToFloatArray(), expected, 1e-5, $"Linear += {input.ShapeText}·{weight.ShapeText}ᵀ", floor: 0.5);
    }

    [TestCaseSource(nameof(Shapes))]
    public void Bf16LinearStaysWithinBf16Error(int[] lead, int inFeatures, int outFeatures)
    {
        var rng = NewRandom();
        int n = (int)Count(lead);
        var x = Values(rng, n * inFeatures);
        var w = Values(rng, outFeatures * inFeatures);
        var bias = Values(rng, outFeatures);
        using var input = Upload(_cpu, x, DType.BF16, n, inFeatures);
        using var weight = Upload(_cpu, w, DType.BF16, outFeatures, inFeatures);
        using var b = Upload(_cpu, bias, DType.F32, outFeatures);
        using var output = Poisoned(_cpu, DType.BF16, n, outFeatures);

        _cpu.Linear(output, input, weight, b);
        AssertClose(output.ToFloatArray(), Reference(Rounded(x, DType.BF16), Rounded(w, DType.BF16), bias, n, inFeatures, outFeatures), 1e-2, $"bf16 Linear {input.ShapeText}·{weight.ShapeText}ᵀ");
    }

    [TestCaseSource(nameof(Shapes))]
    public void BackwardInputIsDOutputTimesWeight(int[] lead, int inFeatures, int outFeatures)
    {
        var rng = NewRandom();
        int n = (int)Count(lead);
        var dy = Values(rng, n * outFeatures);
        var w = Values(rng, outFeatures * inFeatures);
        var start = Values(rng, n * inFeatures);
        using var dOutput = Upload(_cpu, dy, DType.F32, [.. lead, outFeatures]);
        using var weight = Upload(_cpu, w, DType.F32, outFeatures, inFeatures);
        using var dInput = Poisoned(_cpu, DType.F32, [.. lead, inFeatures]);
        var expected = new double[n * inFeatures];
        for (int r = 0; r < n; r++)
            for (int i = 0; i < inFeatures; i++)
            {
                double sum = 0;
                for (int o = 0; o < outFeatures; o++) sum += (double)dy[r * outFeatures + o] * w[o * inFeatures + i];
                expected[r * inFeatures + i] = sum;
            }

        _cpu.LinearBackwardInput(dInput, dOutput, weight);
        AssertClose(dInput.ToFloatArray(), expected, 1e-5, $"dInput = {dOutput.ShapeText}·{weight.ShapeText}");

        dInput.CopyFrom(start);
        _cpu.LinearBackwardInput(dInput, dOutput, weight, accumulate: true);
        AssertClose(dInput.ToFloatArray(), expected.Select((v, i) => v + start[i]).ToArray(), 1e-5, $"dInput += {dOutput.ShapeText}·{weight.ShapeText}", floor: 0.5);
    }

    [TestCaseSource(nameof(Shapes))]
    public void BackwardWeightAccumulatesOuterProducts(int[] lead, int inFeatures, int outFeatures)
    {
        var rng = NewRandom();
        int n = (int)Count(lead);
        var dy = Values(rng, n * outFeatures);
        var x = Values(rng, n * inFeatures);
        var startW = Values(rng, outFeatures * inFeatures);
        var startB = Values(rng, outFeatures);
        using var dOutput = Upload(_cpu, dy, DType.F32, [.. lead, outFeatures]);
        using var input = Upload(_cpu, x, DType.F32, [.. lead, inFeatures]);
        using var dWeight = Upload(_cpu, startW, DType.F32, outFeatures, inFeatures);
        using var dBias = Upload(_cpu, startB, DType.F32, outFeatures);

        _cpu.LinearBackwardWeight(dWeight, dBias, dOutput, input);
        var expectedW = new double[outFeatures * inFeatures];
        var expectedB = new double[outFeatures];
        for (int o = 0; o < outFeatures; o++)
        {
            expectedB[o] = startB[o];
            for (int r = 0; r < n; r++) expectedB[o] += dy[r * outFeatures + o];
            for (int i = 0; i < inFeatures; i++)
            {
                double sum = startW[o * inFeatures + i];
                for (int r = 0; r < n; r++) sum += (double)dy[r * outFeatures + o] * x[r * inFeatures + i];
                expectedW[o * inFeatures + i] = sum;
            }
        }
        AssertClose(dWeight.ToFloatArray(), expectedW, 1e-5, $"dWeight += {dOutput.ShapeText}ᵀ·{input.ShapeText}");
        AssertClose(dBias.ToFloatArray(), expectedB, 1e-5, $"dBias += column sums of {dOutput.ShapeText}");
    }

    [Test]
    public void BackwardInputMatchesFiniteDifferencesOfTheForward()
    {
        var rng = NewRandom();
        const int n = 4, inFeatures = 9, outFeatures = 7;
        var x = Values(rng, n * inFeatures);
        var probe = Values(rng, n * outFeatures);
        using var input = Upload(_cpu, x, DType.F32, n, inFeatures);
        using var weight = Upload(_cpu, Values(rng, outFeatures * inFeatures), DType.F32, outFeatures, inFeatures);
        using var bias = Upload(_cpu, Values(rng, outFeatures), DType.F32, outFeatures);
        using var output = Poisoned(_cpu, DType.F32, n, outFeatures);
        using var dOutput = Upload(_cpu, probe, DType.F32, n, outFeatures);
        using var dInput = Poisoned(_cpu, DType.F32, n, inFeatures);

        _cpu.LinearBackwardInput(dInput, dOutput, weight);
        var fd = FiniteDifferences(rng, input, x, () =>
        {
            _cpu.Linear(output, input, weight, bias);
            return Probe(output, probe);
        });
        AssertGradient(dInput.ToFloatArray(), fd, 1e-3, "Linear dInput");
    }

    private static double[] Reference(float[] x, float[] w, float[]? bias, int n, int inFeatures, int outFeatures)
    {
        var y = new double[n * outFeatures];
        for (int r = 0; r < n; r++)
            for (int o = 0; o < outFeatures; o++)
            {
                double sum = bias?[o] ?? 0;
                for (int i = 0; i < inFeatures; i++) sum += (double)x[r * inFeatures + i] * w[o * inFeatures + i];
                y[r * outFeatures + o] = sum;
            }
        return y;
    }
}
