using System.Numerics;
using System.Runtime.InteropServices;

namespace DePT.Numerics;

/// <summary>
/// bfloat16 values carried as their 16 raw bits (<see cref="ushort"/>): the upper half of an IEEE 754 single.
/// Narrowing rounds to nearest, ties to even, as PyTorch and the GPU's conversion instructions do; finite values
/// that round past the largest bfloat16 become infinities. A NaN stays a NaN: its sign and upper payload bits are
/// kept and the quiet bit is set, so a NaN whose payload lies only in the dropped bits cannot turn into an infinity.
/// </summary>
public static class BFloat16
{
    private const uint QuietBit = 0x0040;

    /// <summary>The bfloat16 nearest to <paramref name="value"/> (ties to even).</summary>
    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | QuietBit);
        }
        uint lowestKeptBit = (bits >> 16) & 1;
        return (ushort)((bits + 0x7FFFu + lowestKeptBit) >> 16);
    }

    /// <summary>The single with the same value as the bfloat16 <paramref name="bits"/> (exact).</summary>
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Narrows every element of <paramref name="source"/> to bfloat16 bits (ties to even).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static void FromSingle(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        ThrowIfLengthsDiffer(source.Length, destination.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var sourceBits = MemoryMarshal.Cast<float, uint>(source);
            int step = Vector<ushort>.Count;
            for (; i <= source.Length - step; i += step)
            {
                var low = RoundToBFloat16(new Vector<uint>(sourceBits.Slice(i)));
                var high = RoundToBFloat16(new Vector<uint>(sourceBits.Slice(i + Vector<uint>.Count)));
                Vector.Narrow(low, high).CopyTo(destination.Slice(i));
            }
        }
        for (; i < source.Length; i++)
        {
            destination[i] = FromSingle(source[i]);
        }
    }

    /// <summary>Widens every bfloat16 of <paramref name="source"/> to a single (exact).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static void ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        ThrowIfLengthsDiffer(source.Length, destination.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var destinationBits = MemoryMarshal.Cast<float, uint>(destination);
            int step = Vector<ushort>.Count;
            for (; i <= source.Length - step; i += step)
            {
                Vector.Widen(new Vector<ushort>(source.Slice(i)), out var low, out var high);
                (low << 16).CopyTo(destinationBits.Slice(i));
                (high << 16).CopyTo(destinationBits.Slice(i + Vector<uint>.Count));
            }
        }
        for (; i < source.Length; i++)
        {
            destination[i] = ToSingle(source[i]);
        }
    }

    /// <summary>The vector form of <see cref="FromSingle(float)"/>, leaving the result in the low 16 bits of each lane.</summary>
    private static Vector<uint> RoundToBFloat16(Vector<uint> bits)
    {
        var lowestKeptBit = (bits >> 16) & Vector<uint>.One;
        var rounded = (bits + new Vector<uint>(0x7FFFu) + lowestKeptBit) >> 16;
        var quietNaN = (bits >> 16) | new Vector<uint>(QuietBit);
        var asFloat = Vector.AsVectorSingle(bits);
        var isNaN = Vector.AsVectorUInt32(~Vector.Equals(asFloat, asFloat));
        return Vector.ConditionalSelect(isNaN, quietNaN, rounded);
    }

    private static void ThrowIfLengthsDiffer(int sourceLength, int destinationLength)
    {
        if (sourceLength != destinationLength)
        {
            throw new ArgumentException(
                $"The destination holds {destinationLength} elements but the source has {sourceLength}.");
        }
    }
}
