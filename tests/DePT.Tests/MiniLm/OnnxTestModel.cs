using System.Runtime.InteropServices;

namespace DePT.Tests.MiniLm;

/// <summary>Builds ONNX ModelProto bytes (field numbers of onnx.proto) for tests that need a model of a
/// chosen shape or a broken one.</summary>
internal sealed class OnnxTestModel
{
    private readonly ProtobufTestWriter _graph = new();

    /// <summary>A FLOAT initializer stored as raw_data.</summary>
    public OnnxTestModel RawFloat(string name, int[] dims, float[] values)
    {
        _graph.Message(5, Tensor(name, dims, 1).Bytes(9, MemoryMarshal.AsBytes(values.AsSpan())));
        return this;
    }

    /// <summary>A FLOAT initializer stored as packed float_data.</summary>
    public OnnxTestModel PackedFloat(string name, int[] dims, float[] values)
    {
        _graph.Message(5, Tensor(name, dims, 1).Bytes(4, MemoryMarshal.AsBytes(values.AsSpan())));
        return this;
    }

    /// <summary>A FLOAT initializer stored as one unpacked float_data entry per value.</summary>
    public OnnxTestModel UnpackedFloat(string name, int[] dims, float[] values)
    {
        var tensor = Tensor(name, dims, 1);
        foreach (float v in values)
            tensor.Fixed32(4, v);
        _graph.Message(5, tensor);
        return this;
    }

    /// <summary>An INT64 initializer stored as packed int64_data.</summary>
    public OnnxTestModel PackedInt64(string name, int[] dims, long[] values)
    {
        _graph.Message(5, Tensor(name, dims, 7).PackedVarints(7, values));
        return this;
    }

    /// <summary>An INT64 initializer stored as raw_data.</summary>
    public OnnxTestModel RawInt64(string name, int[] dims, long[] values)
    {
        _graph.Message(5, Tensor(name, dims, 7).Bytes(9, MemoryMarshal.AsBytes(values.AsSpan())));
        return this;
    }

    /// <summary>A FLOAT initializer whose data lives in an external file.</summary>
    public OnnxTestModel ExternalFloat(string name, int[] dims)
    {
        var location = new ProtobufTestWriter().String(1, "location").String(2, "weights.bin");
        _graph.Message(5, Tensor(name, dims, 1).Message(13, location).Varint(14, 1));
        return this;
    }

    public OnnxTestModel Node(string opType, string[] inputs, string[] outputs, string name = "", long? transB = null)
    {
        var node = new ProtobufTestWriter();
        foreach (string input in inputs)
            node.String(1, input);
        foreach (string output in outputs)
            node.String(2, output);
        node.String(3, name).String(4, opType);
        if (transB is long value)
            node.Message(5, new ProtobufTestWriter().String(1, "transB").Varint(3, value).Varint(20, 2));
        _graph.Message(1, node);
        return this;
    }

    public OnnxTestModel Input(string name)
    {
        _graph.Message(11, new ProtobufTestWriter().String(1, name));
        return this;
    }

    public OnnxTestModel Output(string name)
    {
        _graph.Message(12, new ProtobufTestWriter().String(1, name));
        return this;
    }

    /// <summary>The ModelProto: ir_version, producer_name, then the graph.</summary>
    public byte[] ToArray() => new ProtobufTestWriter().Varint(1, 8).String(2, "dept-tests").Message(7, _graph).ToArray();

    private static ProtobufTestWriter Tensor(string name, int[] dims, int dataType) =>
        new ProtobufTestWriter().PackedVarints(1, dims.Select(d => (long)d)).Varint(2, dataType).String(8, name);
}
