using System.Text;

namespace DePT.Tests.MiniLm;

/// <summary>Writes protobuf wire format, to build small ONNX models (and broken ones) for reader tests.</summary>
internal sealed class ProtobufTestWriter
{
    private readonly MemoryStream _stream = new();

    public byte[] ToArray() => _stream.ToArray();

    public ProtobufTestWriter Varint(int field, long value)
    {
        Key(field, 0);
        WriteVarint(unchecked((ulong)value));
        return this;
    }

    public ProtobufTestWriter Fixed32(int field, float value)
    {
        Key(field, 5);
        _stream.Write(BitConverter.GetBytes(value));
        return this;
    }

    public ProtobufTestWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Key(field, 2);
        WriteVarint((ulong)value.Length);
        _stream.Write(value);
        return this;
    }

    public ProtobufTestWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtobufTestWriter Message(int field, ProtobufTestWriter message) => Bytes(field, message.ToArray());

    public ProtobufTestWriter PackedVarints(int field, IEnumerable<long> values)
    {
        var packed = new ProtobufTestWriter();
        foreach (long v in values)
            packed.WriteVarint(unchecked((ulong)v));
        return Bytes(field, packed.ToArray());
    }

    private void Key(int field, int wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _stream.WriteByte((byte)value);
    }
}
