using System.Buffers.Binary;

namespace DePT.IO;

/// <summary>Protobuf wire types (the low three bits of a field key).</summary>
internal enum ProtobufWireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>
/// Forward-only reader of the protobuf wire format over a span. Length-delimited fields come back as
/// slices of the input, so a 90 MB model is decoded without copying its tensors. Every error names the
/// source and the absolute byte offset, because a truncated or corrupted file is the usual cause.
/// </summary>
internal ref struct ProtobufWireReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly string _source;
    private readonly long _baseOffset;
    private int _position;

    /// <param name="buffer">The encoded message.</param>
    /// <param name="source">What the bytes are (file or resource name), for error messages.</param>
    /// <param name="baseOffset">Offset of <paramref name="buffer"/> inside the whole source, for error messages.</param>
    public ProtobufWireReader(ReadOnlySpan<byte> buffer, string source, long baseOffset = 0)
    {
        _buffer = buffer;
        _source = source;
        _baseOffset = baseOffset;
        _position = 0;
    }

    public readonly bool IsAtEnd => _position >= _buffer.Length;

    /// <summary>Absolute offset of the next byte in the whole source.</summary>
    public readonly long Offset => _baseOffset + _position;

    /// <summary>Reads a field key and splits it into field number and wire type.</summary>
    public (int FieldNumber, ProtobufWireType WireType) ReadKey()
    {
        long keyOffset = Offset;
        ulong key = ReadVarint();
        ulong fieldNumber = key >> 3;
        var wireType = (ProtobufWireType)(key & 7);
        if (fieldNumber == 0 || fieldNumber > int.MaxValue)
            throw Malformed(keyOffset, $"field number {fieldNumber} is out of range");
        if (wireType > ProtobufWireType.Fixed32)
            throw Malformed(keyOffset, $"unknown wire type {(int)wireType} for field {fieldNumber}");
        return ((int)fieldNumber, wireType);
    }

    public ulong ReadVarint()
    {
        long start = Offset;
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _buffer.Length)
                throw Truncated(start, "a varint");
            byte b = _buffer[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw Malformed(start, "a varint is longer than 10 bytes");
    }

    public long ReadInt64() => unchecked((long)ReadVarint());

    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(ReadRaw(4, "a fixed32"));

    /// <summary>Reads a length prefix and returns that many bytes as a slice of the input.</summary>
    public ReadOnlySpan<byte> ReadLengthDelimited(out long contentOffset)
    {
        long prefixOffset = Offset;
        ulong length = ReadVarint();
        contentOffset = Offset;
        if (length > (ulong)(_buffer.Length - _position))
            throw Truncated(prefixOffset, $"a length-delimited field of {length} bytes (only {_buffer.Length - _position} remain)");
        return ReadRaw((int)length, "a length-delimited field");
    }

    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadLengthDelimited(out _));

    /// <summary>Skips a field whose key has been read; groups (deprecated, unused by ONNX) are rejected.</summary>
    public void Skip(int fieldNumber, ProtobufWireType wireType)
    {
        switch (wireType)
        {
            case ProtobufWireType.Varint: ReadVarint(); break;
            case ProtobufWireType.Fixed64: ReadRaw(8, "a fixed64"); break;
            case ProtobufWireType.Fixed32: ReadRaw(4, "a fixed32"); break;
            case ProtobufWireType.LengthDelimited: ReadLengthDelimited(out _); break;
            default: throw Malformed(Offset, $"field {fieldNumber} uses unsupported wire type {wireType}");
        }
    }

    /// <summary>Throws unless the field that was just keyed has the wire type the schema gives it.</summary>
    public readonly void Expect(string message, int fieldNumber, ProtobufWireType actual, ProtobufWireType expected)
    {
        if (actual != expected)
            throw Malformed(Offset, $"{message} field {fieldNumber} has wire type {actual}, expected {expected}");
    }

    public readonly InvalidDataException Malformed(long offset, string what) =>
        new($"Malformed protobuf in '{_source}' at byte {offset}: {what}.");

    private ReadOnlySpan<byte> ReadRaw(int count, string what)
    {
        if (count > _buffer.Length - _position)
            throw Truncated(Offset, what);
        ReadOnlySpan<byte> slice = _buffer.Slice(_position, count);
        _position += count;
        return slice;
    }

    private readonly InvalidDataException Truncated(long offset, string what) =>
        new($"Truncated protobuf in '{_source}': {what} at byte {offset} runs past the end of its message.");
}
