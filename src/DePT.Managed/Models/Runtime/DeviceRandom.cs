using DePT.Backends;
using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>
/// Uniform random tensors made on the backend itself from the counter-based generator behind
/// <see cref="IBackend.Dropout"/>: dropout at rate ½ of a tensor of ones keeps each element with probability ½,
/// which gives one random bit per element; <see cref="Bits"/> such bits from distinct streams, weighted 2^-1 … 2^-8,
/// sum to a uniform value on a grid of 2^-8. No host memory or transfer is involved.
/// </summary>
public static class DeviceRandom
{
    /// <summary>Random bits per value.</summary>
    public const int Bits = 8;

    /// <summary>
    /// Fills <paramref name="target"/> with values uniform on [low, high) (a grid of 2^8 levels). The same
    /// (seed, stream) gives the same values; streams 0…2^56 are usable.
    /// </summary>
    public static void FillUniform(IBackend backend, Tensor target, float low, float high, ulong seed, ulong stream)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(target);
        if (!target.DType.IsFloatingPoint())
            throw new ArgumentException($"DeviceRandom.FillUniform: target {target.ShapeText} is not a floating-point tensor.", nameof(target));
        if (!(low < high) || !float.IsFinite(low) || !float.IsFinite(high))
            throw new ArgumentOutOfRangeException(nameof(high), $"DeviceRandom.FillUniform: the range [{low}, {high}) is empty or not finite.");
        if (stream >= 1UL << 56) throw new ArgumentOutOfRangeException(nameof(stream), stream, "Streams above 2^56 overlap the bit streams.");

        int[] shape = target.Shape.ToArray();
        using var ones = backend.Allocate(DType.F32, shape);
        using var bit = backend.Allocate(DType.F32, shape);
        using var sum = backend.Allocate(DType.F32, shape);
        backend.Fill(ones, 1f);
        backend.Fill(sum, low);
        for (int j = 0; j < Bits; j++)
        {
            // bit ∈ {0, 2}: halve it and weight it by 2^-(j+1) of the range.
            backend.Dropout(bit, ones, 0.5f, seed, (stream << 8) | (uint)j);
            backend.Scale(bit, bit, (high - low) * MathF.ScaleB(1f, -(j + 2)));
            backend.Add(sum, sum, bit);
        }
        backend.Copy(target, sum);
    }
}
