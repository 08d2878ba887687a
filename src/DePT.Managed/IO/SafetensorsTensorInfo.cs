using System.Collections.Immutable;

namespace DePT.IO;

/// <summary>One tensor's entry in a safetensors header, checked against the file.</summary>
public sealed class SafetensorsTensorInfo
{
    internal SafetensorsTensorInfo(string name, SafetensorsDType dtype, ImmutableArray<long> shape, long elementCount,
        long dataBegin, long byteLength, long dataSectionStart)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        ElementCount = elementCount;
        DataBegin = dataBegin;
        ByteLength = byteLength;
        FileOffset = dataSectionStart + dataBegin;
    }

    /// <summary>The tensor's name (the header key).</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>The dimensions, outermost first; empty for a scalar.</summary>
    public ImmutableArray<long> Shape { get; }

    /// <summary>The product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Start of the data relative to the data section (the header's <c>data_offsets[0]</c>).</summary>
    public long DataBegin { get; }

    /// <summary>Start of the data from the beginning of the file: 8 + header length + <see cref="DataBegin"/>.</summary>
    public long FileOffset { get; }

    /// <summary>Bytes of data: <see cref="ElementCount"/> × the dtype's size.</summary>
    public long ByteLength { get; }

    /// <summary>The shape as <see cref="int"/> values, for runtimes that index with 32-bit sizes.</summary>
    /// <exception cref="OverflowException">A dimension exceeds <see cref="int.MaxValue"/>.</exception>
    public int[] GetShapeInt32()
    {
        var dims = new int[Shape.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = Shape[i] <= int.MaxValue
                ? (int)Shape[i]
                : throw new OverflowException($"Tensor '{Name}' dimension {i} is {Shape[i]}, beyond the 32-bit range.");
        }
        return dims;
    }

    /// <summary>The entry as it reads in a header, e.g. <c>encoder.weight F32 [512, 768]</c>.</summary>
    public override string ToString() => $"{Name} {DType.ToHeaderName()} [{string.Join(", ", Shape)}]";
}
