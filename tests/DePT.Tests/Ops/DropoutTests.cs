using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Tensors;
using static DePT.Tests.Ops.OpTest;

namespace DePT.Tests.Ops;

/// <summary>Dropout's counter-based mask: pinned hash values (the CUDA kernel must match them), determinism, rate, scaling, backward.</summary>
public class DropoutTests
{
    private readonly CpuBackend _cpu = new();

    // (seed, stream, index) → bits >> 40 of the hash, computed independently (Python, arbitrary-precision integers
    // masked to 64 bits) from the formula in DropoutHash's documentation.
    [TestCase(0UL, 0UL, 0L, 14819496)]
    [TestCase(1UL, 0UL, 0L, 4293041)]
    [TestCase(1UL, 2UL, 3L, 11166768)]
    [TestCase(42UL, 7UL, 123456789L, 1847409)]
    [TestCase(0xDEADBEEFCAFEF00DUL, ulong.MaxValue, (1L << 40) + 5, 280362)]
    public void HashMatchesPinnedValues(ulong seed, ulong stream, long index, int top24Bits)
    {
        float u = top24Bits / 16777216f;
        Assert.That(DropoutHash.Uniform(DropoutHash.Key(seed, stream), index), Is.EqualTo(u));
        Assert.That(DropoutHash.Keep(seed, stream, index, u), Is.True, "kept at rate = u");
        Assert.That(DropoutHash.Keep(seed, stream, index, MathF.BitIncrement(u)), Is.False, "dropped just above u");
    }

    [TestCase(0.1f, 1)]
    [TestCase(0.5f, 4097)]
    [TestCase(0.9f, 20000)]
    [TestCase(0.3f, 100003)]
    public void KeepsOneMinusRateAndScalesTheKeptElements(float rate, int count)
    {
        var rng = NewRandom();
        ulong seed = (ulong)rng.NextInt64(), stream = (ulong)rng.Next(1000);
        var x = Values(rng, count);
        using var input = Upload(_cpu, x, DType.F32, count);
        using var output = Poisoned(_cpu, DType.F32, count);
        _cpu.Dropout(output, input, rate, seed, stream);
        var y = output.ToFloatArray();

        float scale = 1f / (1f - rate);
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            bool keep = DropoutHash.Keep(seed, stream, i, rate);
            Assert.That(y[i], Is.EqualTo(keep ? x[i] * scale : 0f), $"element {i} of {count} at rate {rate}");
            if (keep) kept++;
        }
        double expected = count * (1 - rate), sigma = Math.Sqrt(count * rate * (1 - rate));
        Assert.That(kept, Is.InRange(expected - 5 * sigma - 1, expected + 5 * sigma + 1), $"kept {kept} of {count} at rate {rate}");
    }

    [Test]
    public void SameSeedAndStreamGiveTheSameMaskAndOtherStreamsAnother()
    {
        var rng = NewRandom();
        const int count = 3000;
        ulong seed = (ulong)rng.NextInt64();
        using var input = Upload(_cpu, Values(rng, count), DType.F32, 3, 1000);
        bool[] Mask(ulong s, ulong stream)
        {
            using var output = Poisoned(_cpu, DType.F32, 3, 1000);
            _cpu.Dropout(output, input, 0.5f, s, stream);
            return output.ToFloatArray().Select(v => v != 0).ToArray();
        }
        var first = Mask(seed, 5);
        Assert.That(Mask(seed, 5), Is.EqualTo(first), "same seed and stream");
        // Independent masks at rate ½ agree on about half the elements; the same mask would agree on all.
        int agreeStream = first.Zip(Mask(seed, 6)).Count(p => p.First == p.Second);
        int agreeSeed = first.Zip(Mask(seed + 1, 5)).Count(p => p.First == p.Second);
        Assert.That(agreeStream, Is.InRange(count / 2 - 200, count / 2 + 200), "another stream");
        Assert.That(agreeSeed, Is.InRange(count / 2 - 200, count / 2 + 200), "another seed");
    }

    [Test]
    public void BackwardAppliesTheForwardMask()
    {
        var rng = NewRandom();
        int[] shape = [4, 7, 129];
        long count = Count(shape);
        ulong seed = (ulong)rng.NextInt64();
        using var input = Upload(_cpu, Values(rng, count), DType.F32, shape);
        using var output = Poisoned(_cpu, DType.F32, shape);
        var g = Values(rng, count);
        using var dOutput = Upload(_cpu, g, DType.F32, shape);
        using var dInput = Poisoned(_cpu, DType.F32, shape);
        _cpu.Dropout(output, input, 0.25f, seed, 3);
        _cpu.DropoutBackward(dInput, dOutput, 0.25f, seed, 3);
        var y = output.ToFloatArray();
        var dx = dInput.ToFloatArray();
        for (int i = 0; i < count; i++)
            Assert.That(dx[i], Is.EqualTo(y[i] != 0 ? g[i] * (1f / 0.75f) : 0f), $"element {i}");
    }

    [Test]
    public void RateZeroCopiesInPlace()
    {
        var rng = NewRandom();
        var x = Values(rng, 777);
        using var t = Upload(_cpu, x, DType.F32, 777);
        _cpu.Dropout(t, t, 0f, 1, 2);
        Assert.That(t.ToFloatArray(), Is.EqualTo(x));
    }

    [TestCase(1f)]
    [TestCase(-0.1f)]
    [TestCase(float.NaN)]
    public void RateOutsideZeroToOneIsRejected(float rate)
    {
        using var t = Upload(_cpu, Values(NewRandom(), 4), DType.F32, 4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _cpu.Dropout(t, t, rate, 1, 1));
        Assert.That(e!.Message, Does.Contain("Dropout").And.Contain("[0, 1)"));
    }
}
