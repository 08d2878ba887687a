using System.Runtime.InteropServices;

namespace DePT.Models.MiniLm;

/// <summary>
/// One ONNX initializer: name, shape and element type, with its payload kept as it was stored
/// (a slice of the model bytes for <c>raw_data</c>, or the decoded typed field) until asked for.
/// </summary>
public sealed class OnnxTensor
{
    private readonly ReadOnlyMemory<byte> _rawData;
    private readonly float[]? _floatData;
    private readonly long[]? _int64Data;
    private readonly string _source;

    internal OnnxTensor(string source, string name, long[] dims, OnnxDataType dataType,
        ReadOnlyMemory<byte> rawData, float[]? floatData, long[]? int64Data)
    {
        _source = source;
        Name = name;
        Dims = dims;
        DataType = dataType;
        _rawData = rawData;
        _floatData = floatData;
        _int64Data = int64Data;
        ElementCount = 1;
        foreach (long d in dims)
        {
            if (d < 0)
                throw new InvalidDataException($"ONNX initializer '{name}' in '{source}' has negative dimension {d} in shape [{string.Join(", ", dims)}].");
            ElementCount = checked(ElementCount * d);
        }
    }

    /// <summary>The initializer's name in the graph.</summary>
    public string Name { get; }

    /// <summary>The shape, outermost dimension first.</summary>
    public IReadOnlyList<long> Dims { get; }

    /// <summary>The element type.</summary>
    public OnnxDataType DataType { get; }

    /// <summary>Product of <see cref="Dims"/> (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>The shape as <see cref="int"/>s, for tensors whose dimensions fit.</summary>
    public int[] Shape => Dims.Select(d => checked((int)d)).ToArray();

    /// <summary>Decodes a <see cref="OnnxDataType.Float"/> tensor into a new array.</summary>
    /// <exception cref="InvalidDataException">The tensor is not FLOAT or its payload has the wrong size.</exception>
    public float[] ToFloatArray()
    {
        RequireType(OnnxDataType.Float);
        if (_floatData is not null)
            return CheckCount(_floatData, "float_data");
        return CheckCount(MemoryMarshal.Cast<byte, float>(RequireRaw(sizeof(float)).Span).ToArray(), "raw_data");
    }

    /// <summary>Decodes an <see cref="OnnxDataType.Int64"/> tensor into a new array.</summary>
    /// <exception cref="InvalidDataException">The tensor is not INT64 or its payload has the wrong size.</exception>
    public long[] ToInt64Array()
    {
        RequireType(OnnxDataType.Int64);
        if (_int64Data is not null)
            return CheckCount(_int64Data, "int64_data");
        return CheckCount(MemoryMarshal.Cast<byte, long>(RequireRaw(sizeof(long)).Span).ToArray(), "raw_data");
    }

    private void RequireType(OnnxDataType expected)
    {
        if (DataType != expected)
            throw new InvalidDataException($"ONNX initializer '{Name}' in '{_source}' has data type {DataType}, not {expected}.");
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian; this reader runs on little-endian machines only.");
    }

    private ReadOnlyMemory<byte> RequireRaw(int elementSize)
    {
        if (_rawData.Length != ElementCount * elementSize)
            throw new InvalidDataException(
                $"ONNX initializer '{Name}' in '{_source}' has {_rawData.Length} bytes of raw_data; shape [{string.Join(", ", Dims)}] of {DataType} needs {ElementCount * elementSize}.");
        return _rawData;
    }

    private T[] CheckCount<T>(T[] values, string field)
    {
        if (values.Length != ElementCount)
            throw new InvalidDataException(
                $"ONNX initializer '{Name}' in '{_source}' has {values.Length} values in {field}; shape [{string.Join(", ", Dims)}] needs {ElementCount}.");
        return values;
    }
}
