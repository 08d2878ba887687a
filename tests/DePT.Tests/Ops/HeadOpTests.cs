using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Tensors;
using static DePT.Tests.Ops.OpTest;

namespace DePT.Tests.Ops;

/// <summary>Cross-entropy (loss, in-place gradient, ignore index), pooling and its backward, argmax, and the KV-cache append.</summary>
public class HeadOpTests
{
    private const int Ignore = -100;
    private readonly CpuBackend _cpu = new();

    [TestCase(1, 1, DType.F32)]
    [TestCase(1, 7, DType.F32)]
    [TestCase(9, 33, DType.F32)]
    [TestCase(64, 1000, DType.F32)]
    [TestCase(12, 96, DType.BF16)]
    public void CrossEntropyIsStableAndIgnoresTheIgnoreIndex(int n, int vocab, DType dtype)
    {
        var rng = NewRandom();
        // Large logits: a naive exp would overflow float.
        var z = Values(rng, n * vocab, 8f);
        for (int i = 0; i < z.Length; i++) z[i] += 100f;
        var labels = Enumerable.Range(0, n).Select(r => r % 4 == 3 ? Ignore : rng.Next(vocab)).ToArray();
        using var logits = Upload(_cpu, z, dtype, n, vocab);
        using var labelTensor = Upload(_cpu, labels, n);
        using var losses = Poisoned(_cpu, DType.F32, n);

        _cpu.SoftmaxCrossEntropy(losses, logits, labelTensor, Ignore, null);
        var stored = AsStored(z, dtype);
        var (expectedLoss, expectedGradient) = Reference(stored, labels, n, vocab, 0.25);
        AssertClose(losses.ToFloatArray(), expectedLoss, dtype == DType.F32 ? 1e-6 : 1e-2, $"losses of {logits.ShapeText}");
        Assert.That(logits.ToFloatArray(), Is.EqualTo(stored.Select(v => (float)v).ToArray()), "without a gradient scale the logits stay");

        losses.FillBytes(0xFF);
        _cpu.SoftmaxCrossEntropy(losses, logits, labelTensor, Ignore, 0.25f);
        AssertClose(losses.ToFloatArray(), expectedLoss, dtype == DType.F32 ? 1e-6 : 1e-2, $"losses of {logits.ShapeText} with gradient");
        var gradient = logits.ToFloatArray();
        // bf16 gradients: compare against the gradient's own scale (entries near zero dominate otherwise).
        AssertClose(gradient, expectedGradient, dtype == DType.F32 ? 1e-5 : 1e-2, $"gradient written over {logits.ShapeText}");
        for (int r = 0; r < n; r++)
            if (labels[r] == Ignore)
                Assert.That(gradient.AsSpan(r * vocab, vocab).ToArray(), Is.All.EqualTo(0f), $"ignored row {r}");
    }

    [Test]
    public void CrossEntropyGradientMatchesFiniteDifferences()
    {
        var rng = NewRandom();
        const int n = 5, vocab = 11;
        var z = Values(rng, n * vocab, 3f);
        var labels = new[] { 3, Ignore, 0, 10, 7 };
        using var logits = Upload(_cpu, z, DType.F32, n, vocab);
        using var labelTensor = Upload(_cpu, labels, n);
        using var losses = Poisoned(_cpu, DType.F32, n);
        double Loss()
        {
            _cpu.SoftmaxCrossEntropy(losses, logits, labelTensor, Ignore, null);
            return losses.ToFloatArray().Sum(v => (double)v) * 0.5;
        }
        var fd = FiniteDifferences(rng, logits, z, Loss, samples: 20);
        _cpu.SoftmaxCrossEntropy(losses, logits, labelTensor, Ignore, 0.5f);
        AssertGradient(logits.ToFloatArray(), fd, 2e-3, "cross-entropy gradient");
    }

    [Test]
    public void LabelOutsideTheVocabularyIsNamed()
    {
        using var logits = Upload(_cpu, Values(NewRandom(), 3 * 5), DType.F32, 3, 5);
        using var labels = Upload(_cpu, new[] { 1, 5, Ignore }, 3);
        using var losses = Poisoned(_cpu, DType.F32, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _cpu.SoftmaxCrossEntropy(losses, logits, labels, Ignore, 1f));
        Assert.That(e!.Message, Does.Contain("label 5 of row 1").And.Contain("[0, 5)"));
    }

    [TestCase(PoolingKind.Mean, 1, 1, 1)]
    [TestCase(PoolingKind.Mean, 4, 9, 33)]
    [TestCase(PoolingKind.Cls, 1, 1, 1)]
    [TestCase(PoolingKind.Cls, 3, 6, 20)]
    public void PoolAndItsBackward(PoolingKind kind, int b, int t, int d)
    {
        var rng = NewRandom();
        var x = Values(rng, b * t * d);
        var g = Values(rng, b * d);
        // Example 0 keeps every position, the last keeps none when there are two or more (its mean is then 0).
        var mask = Enumerable.Range(0, b * t).Select(i => i / t == 0 ? 1 : i / t == b - 1 ? 0 : rng.Next(2)).ToArray();
        using var input = Upload(_cpu, x, DType.F32, b, t, d);
        using var maskTensor = Upload(_cpu, mask, b, t);
        using var pooled = Poisoned(_cpu, DType.F32, b, d);
        using var dOutput = Upload(_cpu, g, DType.F32, b, d);
        using var dInput = Poisoned(_cpu, DType.F32, b, t, d);
        _cpu.Pool(pooled, input, maskTensor, kind);
        _cpu.PoolBackward(dInput, dOutput, maskTensor, kind);

        var expected = new double[b * d];
        var expectedGradient = new double[b * t * d];
        for (int e = 0; e < b; e++)
        {
            int count = kind == PoolingKind.Cls ? 1 : mask.Skip(e * t).Take(t).Count(m => m != 0);
            for (int p = 0; p < t; p++)
            {
                bool used = kind == PoolingKind.Cls ? p == 0 : mask[e * t + p] != 0;
                if (!used) continue;
                for (int j = 0; j < d; j++)
                {
                    expected[e * d + j] += (double)x[(e * t + p) * d + j] / count;
                    expectedGradient[(e * t + p) * d + j] = (double)g[e * d + j] / count;
                }
            }
        }
        AssertClose(pooled.ToFloatArray(), expected, 1e-6, $"{kind} pool of {input.ShapeText}");
        AssertClose(dInput.ToFloatArray(), expectedGradient, 1e-6, $"{kind} pool backward of {input.ShapeText}");
    }

    [Test]
    public void ArgMaxTakesTheLowestIndexOnTies()
    {
        using var logits = Upload(_cpu, new[] { 1f, 3f, 3f, 0f, -5f, -2f, -2f, -9f, 7f, 7f, 7f, 7f }, DType.F32, 3, 4);
        using var indices = Upload(_cpu, new[] { -1, -1, -1 }, 3);
        _cpu.ArgMax(indices, logits);
        Assert.That(indices.ToInt32Array(), Is.EqualTo(new[] { 1, 1, 0 }));
    }

    [TestCase(1, 1, DType.F32)]
    [TestCase(37, 101, DType.F32)]
    [TestCase(5, 6, DType.BF16)]
    public void ArgMaxFindsTheLargestRandomValue(int n, int vocab, DType dtype)
    {
        var rng = NewRandom();
        var z = Values(rng, n * vocab);
        using var logits = Upload(_cpu, z, dtype, n, vocab);
        using var indices = Poisoned(_cpu, DType.I32, n);
        _cpu.ArgMax(indices, logits);
        var stored = AsStored(z, dtype);
        var expected = Enumerable.Range(0, n).Select(r =>
        {
            int best = 0;
            for (int j = 1; j < vocab; j++) if (stored[r * vocab + j] > stored[r * vocab + best]) best = j;
            return best;
        });
        Assert.That(indices.ToInt32Array(), Is.EqualTo(expected));
    }

    [TestCase(0, DType.F32)]
    [TestCase(3, DType.BF16)]
    [TestCase(7, DType.F32)]
    public void WriteRowsFillsTheCacheWindowOnly(int position, DType cacheType)
    {
        var rng = NewRandom();
        const int b = 2, capacity = 10, rowsPerExample = 3, d = 5;
        var start = Values(rng, b * capacity * d);
        var rows = Values(rng, b * rowsPerExample * d);
        using var cache = Upload(_cpu, start, cacheType, b, capacity, d);
        using var rowTensor = Upload(_cpu, rows, DType.F32, b, rowsPerExample, d);
        _cpu.WriteRows(cache, rowTensor, position);
        var expected = AsStored(start, cacheType);
        var storedRows = AsStored(rows, cacheType);
        for (int e = 0; e < b; e++)
            for (int t = 0; t < rowsPerExample; t++)
                for (int j = 0; j < d; j++)
                    expected[(e * capacity + position + t) * d + j] = storedRows[(e * rowsPerExample + t) * d + j];
        Assert.That(cache.ToFloatArray(), Is.EqualTo(expected.Select(v => (float)v).ToArray()));
    }

    [TestCase(0, DType.F32)]
    [TestCase(4, DType.BF16)]
    [TestCase(9, DType.F32)]
    public void ReadRowsCopiesTheWindowOut(int position, DType rowsType)
    {
        var rng = NewRandom();
        const int b = 3, capacity = 10, count = 1, d = 6;
        var values = Values(rng, b * capacity * d);
        using var cache = Upload(_cpu, values, DType.F32, b, capacity, d);
        using var rows = Poisoned(_cpu, rowsType, b, count, d);
        _cpu.ReadRows(rows, cache, position);
        var expected = new float[b * count * d];
        for (int e = 0; e < b; e++)
            Array.Copy(values, (e * capacity + position) * d, expected, e * count * d, count * d);
        Assert.That(rows.ToFloatArray(), Is.EqualTo(Rounded(expected, rowsType)));
        Assert.That(() => _cpu.ReadRows(rows, cache, capacity), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains($"position {capacity}"));
    }

    private static (double[] Loss, double[] Gradient) Reference(double[] z, int[] labels, int n, int vocab, double scale)
    {
        var loss = new double[n];
        var gradient = new double[n * vocab];
        for (int r = 0; r < n; r++)
        {
            if (labels[r] == Ignore) continue;
            double max = z.Skip(r * vocab).Take(vocab).Max();
            double sum = 0;
            for (int j = 0; j < vocab; j++) sum += Math.Exp(z[r * vocab + j] - max);
            double lse = max + Math.Log(sum);
            loss[r] = lse - z[r * vocab + labels[r]];
            for (int j = 0; j < vocab; j++) gradient[r * vocab + j] = (Math.Exp(z[r * vocab + j] - lse) - (j == labels[r] ? 1 : 0)) * scale;
        }
        return (loss, gradient);
    }
}
