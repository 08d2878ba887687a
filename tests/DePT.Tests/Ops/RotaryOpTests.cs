using DePT.Backends.Cpu;
using DePT.Models;
using DePT.Tensors;
using static DePT.Tests.Ops.OpTest;

namespace DePT.Tests.Ops;

/// <summary>
/// Rotary embeddings on the CPU against the rotate_half formula in double (per-example positions, several heads),
/// the backward against finite differences and as the inverse rotation, and the inverse frequencies of the rope
/// scalings against transformers' formulas written out.
/// </summary>
public class RotaryOpTests
{
    private readonly CpuBackend _cpu = new();

    [TestCase(1, 1, 1, 2)]
    [TestCase(2, 5, 3, 8)]
    [TestCase(3, 7, 2, 16)]
    public void ForwardMatchesRotateHalfInDouble(int batch, int length, int heads, int headDim)
    {
        var rng = NewRandom();
        int width = heads * headDim;
        var x = Values(rng, batch * length * width);
        // positions per example, as left padding makes them: not 0..T−1, and large enough to wrap the angle
        var positions = Enumerable.Range(0, batch * length).Select(_ => rng.Next(0, 5000)).ToArray();
        var frequencies = new RopeScaling(10000).InverseFrequencies(headDim);
        using var input = Upload(_cpu, x, DType.F32, batch, length, width);
        using var pos = Upload(_cpu, positions, batch, length);
        using var inv = Upload(_cpu, frequencies, DType.F32, headDim / 2);
        using var output = Poisoned(_cpu, DType.F32, batch, length, width);
        _cpu.RotaryEmbedding(output, input, pos, inv, heads);

        var expected = new double[x.Length];
        int half = headDim / 2;
        for (int row = 0; row < batch * length; row++)
            for (int h = 0; h < heads; h++)
                for (int j = 0; j < half; j++)
                {
                    double angle = (float)positions[row] * frequencies[j];
                    int first = row * width + h * headDim + j;
                    double x1 = x[first], x2 = x[first + half];
                    expected[first] = x1 * Math.Cos(angle) - x2 * Math.Sin(angle);
                    expected[first + half] = x2 * Math.Cos(angle) + x1 * Math.Sin(angle);
                }
        AssertClose(output.ToFloatArray(), expected, 1e-6, $"rotary B={batch} T={length} H={heads} dh={headDim}");
    }

    [Test]
    public void InPlaceEqualsOutOfPlaceAndBf16StaysClose()
    {
        var rng = NewRandom();
        var x = Values(rng, 2 * 4 * 16);
        using var pos = Upload(_cpu, [0, 1, 2, 3, 7, 8, 9, 10], 2, 4);
        using var inv = Upload(_cpu, new RopeScaling(500000).InverseFrequencies(8), DType.F32, 4);
        using var a = Upload(_cpu, x, DType.F32, 2, 4, 16);
        using var b = Poisoned(_cpu, DType.F32, 2, 4, 16);
        _cpu.RotaryEmbedding(b, a, pos, inv, 2);
        _cpu.RotaryEmbedding(a, a, pos, inv, 2);
        Assert.That(a.ToFloatArray(), Is.EqualTo(b.ToFloatArray()));

        using var low = Upload(_cpu, x, DType.BF16, 2, 4, 16);
        _cpu.RotaryEmbedding(low, low, pos, inv, 2);
        AssertClose(low.ToFloatArray(), Array.ConvertAll(b.ToFloatArray(), v => (double)v), 1e-2, "bf16 rotary");
    }

    [Test]
    public void BackwardIsTheInverseRotationAndMatchesFiniteDifferences()
    {
        var rng = NewRandom();
        const int batch = 2, length = 3, heads = 2, dh = 6, width = heads * dh;
        var x = Values(rng, batch * length * width);
        var probe = Values(rng, batch * length * width);
        using var pos = Upload(_cpu, [3, 4, 5, 0, 1, 2], batch, length);
        using var inv = Upload(_cpu, new RopeScaling(100).InverseFrequencies(dh), DType.F32, dh / 2);
        using var input = Upload(_cpu, x, DType.F32, batch, length, width);
        using var output = Poisoned(_cpu, DType.F32, batch, length, width);
        using var dOutput = Upload(_cpu, probe, DType.F32, batch, length, width);
        using var dInput = Poisoned(_cpu, DType.F32, batch, length, width);
        _cpu.RotaryEmbeddingBackward(dInput, dOutput, pos, inv, heads);

        double Loss()
        {
            _cpu.RotaryEmbedding(output, input, pos, inv, heads);
            return Probe(output, probe);
        }
        AssertGradient(dInput.ToFloatArray(), FiniteDifferences(rng, input, x, Loss, samples: 20), 1e-3, "d rotary");

        // A rotation's transpose is its inverse: rotating forward, then backward, gives the input back.
        _cpu.RotaryEmbedding(output, input, pos, inv, heads);
        _cpu.RotaryEmbeddingBackward(output, output, pos, inv, heads);
        AssertClose(output.ToFloatArray(), Array.ConvertAll(x, v => (double)v), 1e-6, "backward ∘ forward");
    }

    [Test]
    public void WrongShapesNameTheTensor()
    {
        using var x = _cpu.Allocate(DType.F32, 1, 2, 12);
        using var pos = _cpu.Allocate(DType.I32, 1, 2);
        using var inv = _cpu.Allocate(DType.F32, 3);
        Assert.That(() => _cpu.RotaryEmbedding(x, x, pos, inv, 4), Throws.ArgumentException.With.Message.Contains("heads of even width"));
        using var wrongPositions = _cpu.Allocate(DType.I32, 2, 2);
        Assert.That(() => _cpu.RotaryEmbedding(x, x, wrongPositions, inv, 2), Throws.ArgumentException.With.Message.Contains("positions"));
        using var wrongFrequencies = _cpu.Allocate(DType.F32, 6);
        Assert.That(() => _cpu.RotaryEmbedding(x, x, pos, wrongFrequencies, 2), Throws.ArgumentException.With.Message.Contains("inverseFrequencies"));
    }

    [Test]
    public void DefaultFrequenciesAreThetaToTheMinusTwoJOverD()
    {
        var inv = new RopeScaling(10000).InverseFrequencies(8);
        Assert.That(inv, Is.EqualTo(new[] { 1f, 0.1f, 0.01f, 0.001f }).Within(1e-6f).Percent);
        var linear = new RopeScaling(10000, RopeScalingKind.Linear, 4).InverseFrequencies(8);
        Assert.That(linear, Is.EqualTo(inv.Select(v => v / 4).ToArray()));
    }

    [Test]
    public void Llama3ScalingKeepsHighFrequenciesDividesLowOnesAndSmoothsBetween()
    {
        // Llama 3.1's values: θ = 500000, factor 8, low 1, high 4, original context 8192; dh = 128.
        var rope = new RopeScaling(500000, RopeScalingKind.Llama3, 8, 1, 4, 8192);
        var plain = new RopeScaling(500000).InverseFrequencies(128);
        var scaled = rope.InverseFrequencies(128);
        for (int j = 0; j < plain.Length; j++)
        {
            double wavelength = 2 * Math.PI / plain[j];
            double expected = wavelength < 8192.0 / 4 ? plain[j]
                : wavelength > 8192.0 / 1 ? plain[j] / 8.0
                : (1 - (8192 / wavelength - 1) / 3) * plain[j] / 8 + (8192 / wavelength - 1) / 3 * plain[j];
            Assert.That(scaled[j], Is.EqualTo(expected).Within(1e-5).Percent, $"frequency {j}, wavelength {wavelength:F0}");
        }
        Assert.That(scaled[0], Is.EqualTo(plain[0]), "the fastest rotation is untouched");
        Assert.That(scaled[^1], Is.EqualTo(plain[^1] / 8f), "the slowest is divided by the factor");
        Assert.That(Enumerable.Range(0, 64).Count(j => scaled[j] != plain[j] && scaled[j] != plain[j] / 8f), Is.GreaterThan(0), "some frequencies lie in the smoothed band");
    }
}
