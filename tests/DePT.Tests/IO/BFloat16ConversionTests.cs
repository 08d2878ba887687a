using DePT.Numerics;
using System.Runtime.InteropServices;
using DePT.IO;

namespace DePT.Tests.IO;

/// <summary>bf16 and f16 conversions against bit patterns worked out by hand.</summary>
public sealed class BFloat16ConversionTests
{
    // float bits → expected bf16 bits. bf16 keeps the upper 16 bits; the lower 16 decide the rounding:
    // below 0x8000 rounds down, above rounds up, exactly 0x8000 is a tie that goes to the even upper half.
    [TestCase(0x3F800000u, (ushort)0x3F80, TestName = "1.0 is exact")]
    [TestCase(0xBF800000u, (ushort)0xBF80, TestName = "-1.0 is exact")]
    [TestCase(0x3F807FFFu, (ushort)0x3F80, TestName = "just below a tie rounds down")]
    [TestCase(0x3F808000u, (ushort)0x3F80, TestName = "tie with even kept bits stays")]
    [TestCase(0x3F818000u, (ushort)0x3F82, TestName = "tie with odd kept bits rounds up to even")]
    [TestCase(0x3F808001u, (ushort)0x3F81, TestName = "just above a tie rounds up")]
    [TestCase(0xBF818000u, (ushort)0xBF82, TestName = "negative tie rounds away to even")]
    [TestCase(0x3FFFFFFFu, (ushort)0x4000, TestName = "carry into the exponent")]
    [TestCase(0x7F7F7FFFu, (ushort)0x7F7F, TestName = "largest bf16 from below")]
    [TestCase(0x7F7FFFFFu, (ushort)0x7F80, TestName = "float max overflows to infinity")]
    [TestCase(0xFF7FFFFFu, (ushort)0xFF80, TestName = "-float max overflows to -infinity")]
    [TestCase(0x7F800000u, (ushort)0x7F80, TestName = "infinity")]
    [TestCase(0xFF800000u, (ushort)0xFF80, TestName = "-infinity")]
    [TestCase(0x00000000u, (ushort)0x0000, TestName = "zero")]
    [TestCase(0x80000000u, (ushort)0x8000, TestName = "negative zero")]
    [TestCase(0x00000001u, (ushort)0x0000, TestName = "smallest subnormal rounds to zero")]
    [TestCase(0x00008000u, (ushort)0x0000, TestName = "subnormal tie goes to even zero")]
    [TestCase(0x00018000u, (ushort)0x0002, TestName = "subnormal tie with odd kept bits rounds up")]
    [TestCase(0x00008001u, (ushort)0x0001, TestName = "subnormal above a tie rounds to smallest bf16 subnormal")]
    [TestCase(0x80008001u, (ushort)0x8001, TestName = "negative subnormal")]
    [TestCase(0x007FFFFFu, (ushort)0x0080, TestName = "largest subnormal rounds up to smallest normal")]
    [TestCase(0x7FC00000u, (ushort)0x7FC0, TestName = "quiet NaN")]
    [TestCase(0xFFC00000u, (ushort)0xFFC0, TestName = "negative quiet NaN keeps its sign")]
    [TestCase(0x7F800001u, (ushort)0x7FC0, TestName = "NaN with payload only in dropped bits stays NaN")]
    [TestCase(0x7FFFFFFFu, (ushort)0x7FFF, TestName = "NaN with all payload bits does not wrap to zero")]
    [TestCase(0x7FA12345u, (ushort)0x7FE1, TestName = "signalling NaN becomes quiet with its upper payload")]
    public void SingleNarrowsToBFloat16(uint singleBits, ushort expected)
    {
        float value = BitConverter.UInt32BitsToSingle(singleBits);
        Assert.That(BFloat16.FromSingle(value), Is.EqualTo(expected), $"0x{singleBits:X8}");

        // The same value at every lane position of the vector path and in the scalar tail.
        var source = Enumerable.Repeat(value, 67).ToArray();
        var destination = new ushort[source.Length];
        BFloat16.FromSingle(source, destination);
        Assert.That(destination, Is.All.EqualTo(expected));
    }

    [TestCase((ushort)0x3F80, 1.0f)]
    [TestCase((ushort)0xC0A0, -5.0f)]
    [TestCase((ushort)0x7F7F, 3.3895313892515355e38f)]
    [TestCase((ushort)0x0001, 9.183549615799121e-41f)]
    [TestCase((ushort)0x8000, -0.0f)]
    [TestCase((ushort)0x7F80, float.PositiveInfinity)]
    [TestCase((ushort)0xFF80, float.NegativeInfinity)]
    public void BFloat16WidensToSingleExactly(ushort bits, float expected)
    {
        Assert.That(BitConverter.SingleToUInt32Bits(BFloat16.ToSingle(bits)), Is.EqualTo(BitConverter.SingleToUInt32Bits(expected)));
        Assert.That(BitConverter.SingleToUInt32Bits(BFloat16.ToSingle(bits)), Is.EqualTo((uint)bits << 16));
    }

    [Test]
    public void BFloat16NaNWidensToNaN() =>
        Assert.That(float.IsNaN(BFloat16.ToSingle(0x7FC1)) && float.IsNaN(BFloat16.ToSingle(0xFF81)), Is.True);

    [Test]
    public void SpanConversionsAgreeWithScalarOnRandomBitPatterns()
    {
        var random = TestContext.CurrentContext.Random;
        uint[] bits = Enumerable.Range(0, 1031).Select(_ => random.NextUInt()).ToArray();
        // Every 16th pattern gets an all-ones exponent, so NaNs (random payloads) and infinities reach every lane.
        for (int i = 0; i < bits.Length; i += 16)
        {
            bits[i] |= 0x7F800000u;
        }
        bits[^1] = 0x7F800001u;
        float[] singles = MemoryMarshal.Cast<uint, float>(bits).ToArray();

        var narrowed = new ushort[singles.Length];
        BFloat16.FromSingle(singles, narrowed);
        var widened = new float[narrowed.Length];
        BFloat16.ToSingle(narrowed, widened);
        for (int i = 0; i < singles.Length; i++)
        {
            Assert.That(narrowed[i], Is.EqualTo(BFloat16.FromSingle(singles[i])), $"narrowing 0x{bits[i]:X8} at {i}");
            Assert.That(BitConverter.SingleToUInt32Bits(widened[i]), Is.EqualTo((uint)narrowed[i] << 16), $"widening at {i}");
            if (!float.IsNaN(singles[i]) && !float.IsInfinity(widened[i]))
            {
                // Nearest: the error is at most half a bf16 ulp of the result's binade.
                float error = Math.Abs(widened[i] - singles[i]);
                float halfUlp = Math.Abs(BFloat16.ToSingle((ushort)(narrowed[i] | 1)) - BFloat16.ToSingle((ushort)(narrowed[i] & ~1))) / 2;
                Assert.That(error, Is.LessThanOrEqualTo(halfUlp), $"rounding error at {i}");
            }
        }
    }

    [Test]
    public void SpanLengthsMustMatch() =>
        Assert.Throws<ArgumentException>(() => BFloat16.FromSingle(new float[3], new ushort[4]));

    // f16 bits → float bits, and → bf16 bits through the file reader. f16 has 10 mantissa bits, bf16 7:
    // 1 + 2^-8 (0x3C04) is a tie between 1 and 1 + 2^-7 and goes to even 1; 1 + 3·2^-8 (0x3C0C) goes to 1 + 2^-6.
    [TestCase((ushort)0x3C00, 0x3F800000u, (ushort)0x3F80, TestName = "f16 one")]
    [TestCase((ushort)0x3C01, 0x3F802000u, (ushort)0x3F80, TestName = "f16 below half a bf16 ulp")]
    [TestCase((ushort)0x3C04, 0x3F808000u, (ushort)0x3F80, TestName = "f16 tie to even down")]
    [TestCase((ushort)0x3C0C, 0x3F818000u, (ushort)0x3F82, TestName = "f16 tie to even up")]
    [TestCase((ushort)0x7BFF, 0x477FE000u, (ushort)0x4780, TestName = "f16 max 65504 rounds to 65536")]
    [TestCase((ushort)0x0001, 0x33800000u, (ushort)0x3380, TestName = "f16 smallest subnormal is 2^-24")]
    [TestCase((ushort)0x03FF, 0x387FC000u, (ushort)0x3880, TestName = "f16 largest subnormal")]
    [TestCase((ushort)0x8000, 0x80000000u, (ushort)0x8000, TestName = "f16 negative zero")]
    [TestCase((ushort)0x7C00, 0x7F800000u, (ushort)0x7F80, TestName = "f16 infinity")]
    [TestCase((ushort)0xFC00, 0xFF800000u, (ushort)0xFF80, TestName = "f16 negative infinity")]
    [TestCase((ushort)0x7E00, 0x7FC00000u, (ushort)0x7FC0, TestName = "f16 NaN")]
    public void Float16TensorsConvertToSingleAndBFloat16(ushort halfBits, uint expectedSingleBits, ushort expectedBFloat16)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("f16.safetensors");
        ushort[] data = Enumerable.Repeat(halfBits, 21).ToArray();
        RawSafetensors.Write(path, RawSafetensors.Header(RawSafetensors.Entry("h", "F16", [21], 0, 42)),
            MemoryMarshal.AsBytes(data.AsSpan()).ToArray());

        using var file = SafetensorsFile.Open(path);
        Assert.That(file.ReadFloat32("h").Select(BitConverter.SingleToUInt32Bits), Is.All.EqualTo(expectedSingleBits));
        Assert.That(file.ReadBFloat16("h"), Is.All.EqualTo(expectedBFloat16));
    }
}
