using DePT.Backends;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>Fresh random inputs for model tests (never zeros), drawn from NUnit's seeded generator.</summary>
internal static class ModelTestData
{
    public static float[] Normal(int count, double scale = 1) => Normal(count, scale, TestContext.CurrentContext.Random);

    public static float[] Normal(int count, double scale, Random random)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            // Box–Muller from two uniforms in (0, 1].
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            values[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }
        return values;
    }

    /// <summary>
    /// g·v against the central difference (loss(x + εv) − loss(x − εv)) / 2ε along two random directions v ~ N(0, I).
    /// g·v is of the order of ‖g‖, so the tolerance is 2 % of that scale (a small g·v is not inflated).
    /// </summary>
    public static void AssertDirectionalDerivatives(float[] x, float[] gradient, Func<float[], double> loss, double eps)
    {
        double gradientNorm = Math.Sqrt(Dot(gradient, gradient));
        for (int direction = 0; direction < 2; direction++)
        {
            float[] v = Normal(x.Length);
            double numeric = (loss(Step(x, v, eps)) - loss(Step(x, v, -eps))) / (2 * eps);
            Assert.That(numeric, Is.EqualTo(Dot(gradient, v)).Within(2e-2 * gradientNorm), $"direction {direction}");
        }
    }

    public static Tensor Floats(IBackend backend, float[] values, params int[] shape)
    {
        var tensor = backend.Allocate(DType.F32, shape);
        tensor.CopyFrom(values);
        return tensor;
    }

    public static Tensor Ints(IBackend backend, int[] values, params int[] shape)
    {
        var tensor = backend.Allocate(DType.I32, shape);
        tensor.CopyFrom(values);
        return tensor;
    }

    /// <summary>A right-padded (B, T) mask: row b has lengths[b] ones.</summary>
    public static int[] Mask(int length, params int[] lengths)
    {
        var mask = new int[lengths.Length * length];
        for (int b = 0; b < lengths.Length; b++) mask.AsSpan(b * length, lengths[b]).Fill(1);
        return mask;
    }

    public static int[] TokenIds(int count, int low, int high)
    {
        var random = TestContext.CurrentContext.Random;
        return Enumerable.Range(0, count).Select(_ => random.Next(low, high)).ToArray();
    }

    public static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    /// <summary>a + step·v, elementwise.</summary>
    public static float[] Step(float[] a, float[] v, double step) => a.Select((x, i) => (float)(x + step * v[i])).ToArray();
}
