using DePT.Backends.Cpu;
using DePT.Diagnostics;
using DePT.Numerics;
using DePT.Tensors;

namespace DePT.Tests.Ops;

/// <summary>
/// Shared pieces of the op suite: fresh random data (never zeros), tensors poisoned before an op writes
/// them, comparisons that print the case and its first mismatches, and central finite differences.
/// </summary>
internal static class OpTest
{
    public static Random NewRandom() => new(TestContext.CurrentContext.Random.Next());

    /// <summary>Uniform in ±[0.05, 1)·scale: random signs, never zero.</summary>
    public static float[] Values(Random rng, long count, float scale = 1f)
    {
        var v = new float[count];
        for (long i = 0; i < count; i++) v[i] = (rng.Next(2) == 0 ? -1 : 1) * (0.05f + 0.95f * rng.NextSingle()) * scale;
        return v;
    }

    /// <summary>A tensor holding <paramref name="values"/> (narrowed to bf16 when asked).</summary>
    public static Tensor Upload(CpuBackend cpu, float[] values, DType dtype, params int[] shape)
    {
        var t = cpu.Allocate(dtype, shape);
        t.CopyFrom(values);
        return t;
    }

    public static Tensor Upload(CpuBackend cpu, int[] values, params int[] shape)
    {
        var t = cpu.Allocate(DType.I32, shape);
        t.CopyFrom(values);
        return t;
    }

    /// <summary>An output tensor filled with NaN bytes, so an element the op forgets to write shows up.</summary>
    public static Tensor Poisoned(CpuBackend cpu, DType dtype, params int[] shape)
    {
        var t = cpu.Allocate(dtype, shape);
        t.FillBytes(0xFF);
        return t;
    }

    /// <summary>The values a tensor of <paramref name="dtype"/> really holds (bf16-rounded), as double.</summary>
    public static double[] AsStored(float[] values, DType dtype) => Array.ConvertAll(Rounded(values, dtype), v => (double)v);

    /// <summary>The values a tensor of <paramref name="dtype"/> really holds: references of bf16 runs start from these.</summary>
    public static float[] Rounded(float[] values, DType dtype) =>
        dtype == DType.BF16 ? Array.ConvertAll(values, v => BFloat16.ToSingle(BFloat16.FromSingle(v))) : values;

    /// <summary>
    /// ‖actual − expected‖/max(‖expected‖, floor·√n) below tolerance, else a message with the case and the first
    /// mismatches. A floor judges results that may cancel (a one-element sum of O(1) terms) on the scale of their terms.
    /// </summary>
    public static void AssertClose(float[] actual, double[] expected, double tolerance, string what, double floor = 0)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        var reference = Array.ConvertAll(expected, v => (float)v);
        double error = ErrorMetrics.Relative(actual, reference, floor);
        Assert.That(error, Is.LessThan(tolerance),
            $"{what}: relative error {error:G3}; {ErrorMetrics.FirstMismatches(actual, reference, tolerance)}");
    }

    /// <summary>
    /// d(loss)/d(values[i]) by central differences for a few sampled i: each probe sets the tensor to the
    /// perturbed values and re-evaluates the loss. Returns the indices with their numeric gradients.
    /// </summary>
    public static (int[] Indices, double[] Numeric) FiniteDifferences(Random rng, Tensor tensor, float[] values, Func<double> loss, int samples = 10, float h = 1e-2f)
    {
        var indices = Enumerable.Range(0, samples).Select(_ => rng.Next(values.Length)).Distinct().ToArray();
        var numeric = new double[indices.Length];
        var probe = (float[])values.Clone();
        for (int s = 0; s < indices.Length; s++)
        {
            int i = indices[s];
            probe[i] = values[i] + h;
            tensor.CopyFrom(probe);
            double plus = loss();
            probe[i] = values[i] - h;
            tensor.CopyFrom(probe);
            double minus = loss();
            probe[i] = values[i];
            numeric[s] = (plus - minus) / (2 * h);
        }
        tensor.CopyFrom(values);
        return (indices, numeric);
    }

    /// <summary>The analytic gradient at the sampled indices against the numeric one.</summary>
    public static void AssertGradient(float[] analytic, (int[] Indices, double[] Numeric) fd, double tolerance, string what)
    {
        var claimed = fd.Indices.Select(i => analytic[i]).ToArray();
        AssertClose(claimed, fd.Numeric, tolerance, $"{what} at [{string.Join(", ", fd.Indices)}] against finite differences");
    }

    /// <summary>Σ output ⊙ weights in double: a scalar loss whose gradient with respect to output is the weights.</summary>
    public static double Probe(Tensor output, float[] weights)
    {
        var y = output.ToFloatArray();
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += (double)y[i] * weights[i];
        return sum;
    }

    public static long Count(int[] shape) => shape.Aggregate(1L, (a, b) => a * b);
}
