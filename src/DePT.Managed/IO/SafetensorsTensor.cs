using DePT.Numerics;
using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace DePT.IO;

/// <summary>
/// A named tensor to be written by <see cref="SafetensorsWriter"/>: dtype, shape and the caller's memory, which
/// is not copied, so it must stay unchanged until the write returns.
/// </summary>
public sealed class SafetensorsTensor
{
    private delegate ReadOnlySpan<byte> ByteSource();

    private readonly ByteSource _bytes;

    private SafetensorsTensor(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, int elementCount, ByteSource bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == SafetensorsHeader.MetadataKey)
        {
            throw new ArgumentException($"'{SafetensorsHeader.MetadataKey}' is reserved for the header's metadata and cannot name a tensor.", nameof(name));
        }
        long product = 1;
        foreach (long dim in shape)
        {
            if (dim < 0)
            {
                throw new ArgumentException($"Tensor '{name}' has shape [{string.Join(", ", shape.ToArray())}] with a negative dimension.", nameof(shape));
            }
            product = checked(product * dim);
        }
        if (product != elementCount)
        {
            throw new ArgumentException(
                $"Tensor '{name}' has shape [{string.Join(", ", shape.ToArray())}] ({product} elements) but {elementCount} values.", nameof(shape));
        }
        Name = name;
        DType = dtype;
        Shape = [.. shape];
        ByteLength = (long)elementCount * dtype.ByteSize();
        _bytes = bytes;
    }

    /// <summary>The tensor's name in the header.</summary>
    public string Name { get; }

    /// <summary>The element type written.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>The dimensions, outermost first; empty for a scalar.</summary>
    public ImmutableArray<long> Shape { get; }

    /// <summary>The number of bytes the tensor occupies in the data section.</summary>
    public long ByteLength { get; }

    internal ReadOnlySpan<byte> Bytes => _bytes();

    /// <summary>An F32 tensor over <paramref name="values"/>; the product of <paramref name="shape"/> must equal their count.</summary>
    /// <exception cref="ArgumentException">The shape does not match the values, or the name is empty or reserved.</exception>
    public static SafetensorsTensor Float32(string name, ReadOnlyMemory<float> values, params ReadOnlySpan<long> shape) =>
        new(name, SafetensorsDType.F32, shape, values.Length, () => MemoryMarshal.AsBytes(values.Span));

    /// <summary>A BF16 tensor over raw bfloat16 bits (see <see cref="BFloat16"/>).</summary>
    /// <inheritdoc cref="Float32" path="/exception"/>
    public static SafetensorsTensor BFloat16(string name, ReadOnlyMemory<ushort> bits, params ReadOnlySpan<long> shape) =>
        new(name, SafetensorsDType.BF16, shape, bits.Length, () => MemoryMarshal.AsBytes(bits.Span));

    /// <summary>An I32 tensor over <paramref name="values"/>.</summary>
    /// <inheritdoc cref="Float32" path="/exception"/>
    public static SafetensorsTensor Int32(string name, ReadOnlyMemory<int> values, params ReadOnlySpan<long> shape) =>
        new(name, SafetensorsDType.I32, shape, values.Length, () => MemoryMarshal.AsBytes(values.Span));

    /// <summary>An I64 tensor over <paramref name="values"/>.</summary>
    /// <inheritdoc cref="Float32" path="/exception"/>
    public static SafetensorsTensor Int64(string name, ReadOnlyMemory<long> values, params ReadOnlySpan<long> shape) =>
        new(name, SafetensorsDType.I64, shape, values.Length, () => MemoryMarshal.AsBytes(values.Span));

    /// <summary>The tensor as it reads in a header, e.g. <c>prompt_embeddings F32 [60, 768]</c>.</summary>
    public override string ToString() => $"{Name} {DType.ToHeaderName()} [{string.Join(", ", Shape)}]";
}
