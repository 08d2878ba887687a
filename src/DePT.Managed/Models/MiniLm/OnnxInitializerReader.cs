using DePT.IO;
using System.Runtime.InteropServices;

namespace DePT.Models.MiniLm;

/// <summary>
/// Reads the parts of an ONNX <c>ModelProto</c> that weight loading needs: the main graph's initializers
/// (FLOAT and INT64 decodable; other types are kept with their shape and type), its nodes (operator,
/// inputs, outputs) and the names of its inputs and outputs. Field numbers are those of onnx.proto.
/// Tensors stored outside the file (external data), segmented or sparse tensors are rejected with the
/// tensor's name; malformed or truncated bytes throw <see cref="InvalidDataException"/> with the offset.
/// </summary>
public static class OnnxInitializerReader
{
    // onnx.proto field numbers.
    private const int ModelProducerName = 2, ModelGraph = 7;
    private const int GraphNode = 1, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12, GraphSparseInitializer = 15;
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    private const int AttributeName = 1, AttributeFloat = 2, AttributeInt = 3, AttributeString = 4, AttributeTensor = 5;
    private const int ValueInfoName = 1;
    private const int TensorDims = 1, TensorDataType = 2, TensorSegment = 3, TensorFloatData = 4, TensorInt64Data = 7,
        TensorName = 8, TensorRawData = 9, TensorExternalData = 13, TensorDataLocation = 14;
    private const ulong DataLocationExternal = 1;

    /// <summary>Reads an ONNX model file.</summary>
    /// <param name="path">Path of the .onnx file.</param>
    public static OnnxModel ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"ONNX model file '{path}' does not exist.", path);
        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads an ONNX model from memory. Raw tensor payloads stay slices of <paramref name="model"/>.</summary>
    /// <param name="model">The serialised <c>ModelProto</c>.</param>
    /// <param name="source">What the bytes are (file path, resource name), used in error messages.</param>
    public static OnnxModel Read(ReadOnlyMemory<byte> model, string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        if (model.IsEmpty)
            throw new InvalidDataException($"ONNX model '{source}' is empty.");

        var reader = new ProtobufWireReader(model.Span, source);
        string producerName = "";
        (Dictionary<string, OnnxTensor> Initializers, List<OnnxNode> Nodes, List<string> Inputs, List<string> Outputs)? graph = null;
        while (!reader.IsAtEnd)
        {
            var (field, wire) = reader.ReadKey();
            switch (field)
            {
                case ModelProducerName:
                    reader.Expect("ModelProto", field, wire, ProtobufWireType.LengthDelimited);
                    producerName = reader.ReadString();
                    break;
                case ModelGraph:
                    reader.Expect("ModelProto", field, wire, ProtobufWireType.LengthDelimited);
                    // Protobuf would merge a repeated singular message; no exporter writes one, so refuse it.
                    if (graph is not null)
                        throw reader.Malformed(reader.Offset, "ModelProto has more than one graph field");
                    graph = ReadGraph(model, reader.ReadLengthDelimited(out long graphOffset), graphOffset, source);
                    break;
                default:
                    reader.Skip(field, wire);
                    break;
            }
        }
        if (graph is not { } parts)
            throw new InvalidDataException($"ONNX model '{source}' has no graph (ModelProto field {ModelGraph}); is it an ONNX file?");
        return new OnnxModel(source, producerName, parts.Initializers, parts.Nodes, parts.Inputs, parts.Outputs);
    }

    private static (Dictionary<string, OnnxTensor> Initializers, List<OnnxNode> Nodes, List<string> Inputs, List<string> Outputs) ReadGraph(
        ReadOnlyMemory<byte> model, ReadOnlySpan<byte> graph, long graphOffset, string source)
    {
        var reader = new ProtobufWireReader(graph, source, graphOffset);
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var nodes = new List<OnnxNode>();
        var inputs = new List<string>();
        var outputs = new List<string>();
        while (!reader.IsAtEnd)
        {
            var (field, wire) = reader.ReadKey();
            switch (field)
            {
                case GraphNode:
                    reader.Expect("GraphProto", field, wire, ProtobufWireType.LengthDelimited);
                    nodes.Add(ReadNode(model, reader.ReadLengthDelimited(out long nodeOffset), nodeOffset, source));
                    break;
                case GraphInitializer:
                {
                    reader.Expect("GraphProto", field, wire, ProtobufWireType.LengthDelimited);
                    var tensor = ReadTensor(model, reader.ReadLengthDelimited(out long tensorOffset), tensorOffset, source, fallbackName: null);
                    if (!initializers.TryAdd(tensor.Name, tensor))
                        throw new InvalidDataException($"ONNX model '{source}' has two initializers named '{tensor.Name}'.");
                    break;
                }
                case GraphInput:
                case GraphOutput:
                    reader.Expect("GraphProto", field, wire, ProtobufWireType.LengthDelimited);
                    (field == GraphInput ? inputs : outputs).Add(ReadValueInfoName(reader.ReadLengthDelimited(out long infoOffset), infoOffset, source));
                    break;
                case GraphSparseInitializer:
                    throw new InvalidDataException($"ONNX model '{source}' has a sparse initializer (GraphProto field {field}); sparse tensors are not supported.");
                default:
                    reader.Skip(field, wire);
                    break;
            }
        }
        return (initializers, nodes, inputs, outputs);
    }

    private static OnnxNode ReadNode(ReadOnlyMemory<byte> model, ReadOnlySpan<byte> node, long offset, string source)
    {
        var reader = new ProtobufWireReader(node, source, offset);
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string name = "", opType = "";
        while (!reader.IsAtEnd)
        {
            var (field, wire) = reader.ReadKey();
            switch (field)
            {
                case NodeInput:
                case NodeOutput:
                case NodeName:
                case NodeOpType:
                    reader.Expect("NodeProto", field, wire, ProtobufWireType.LengthDelimited);
                    string value = reader.ReadString();
                    if (field == NodeInput) inputs.Add(value);
                    else if (field == NodeOutput) outputs.Add(value);
                    else if (field == NodeName) name = value;
                    else opType = value;
                    break;
                case NodeAttribute:
                {
                    reader.Expect("NodeProto", field, wire, ProtobufWireType.LengthDelimited);
                    var attribute = ReadAttribute(model, reader.ReadLengthDelimited(out long attributeOffset), attributeOffset, source);
                    if (!attributes.TryAdd(attribute.Name, attribute))
                        throw reader.Malformed(attributeOffset, $"node '{name}' has two attributes named '{attribute.Name}'");
                    break;
                }
                default:
                    reader.Skip(field, wire);
                    break;
            }
        }
        if (opType.Length == 0)
            throw reader.Malformed(offset, $"node '{name}' has no op_type");
        return new OnnxNode(name, opType, inputs, outputs, attributes);
    }

    private static OnnxAttribute ReadAttribute(ReadOnlyMemory<byte> model, ReadOnlySpan<byte> attribute, long offset, string source)
    {
        var reader = new ProtobufWireReader(attribute, source, offset);
        string name = "";
        long? intValue = null;
        float? floatValue = null;
        string? stringValue = null;
        OnnxTensor? tensorValue = null;
        while (!reader.IsAtEnd)
        {
            var (field, wire) = reader.ReadKey();
            switch (field)
            {
                case AttributeName:
                    reader.Expect("AttributeProto", field, wire, ProtobufWireType.LengthDelimited);
                    name = reader.ReadString();
                    break;
                case AttributeFloat:
                    reader.Expect("AttributeProto", field, wire, ProtobufWireType.Fixed32);
                    floatValue = reader.ReadFloat();
                    break;
                case AttributeInt:
                    reader.Expect("AttributeProto", field, wire, ProtobufWireType.Varint);
                    intValue = reader.ReadInt64();
                    break;
                case AttributeString:
                    reader.Expect("AttributeProto", field, wire, ProtobufWireType.LengthDelimited);
                    stringValue = reader.ReadString();
                    break;
                case AttributeTensor:
                    reader.Expect("AttributeProto", field, wire, ProtobufWireType.LengthDelimited);
                    tensorValue = ReadTensor(model, reader.ReadLengthDelimited(out long tensorOffset), tensorOffset, source, "attribute " + name);
                    break;
                default:
                    reader.Skip(field, wire);
                    break;
            }
        }
        if (name.Length == 0)
            throw reader.Malformed(offset, "a node attribute has no name");
        return new OnnxAttribute(name, intValue, floatValue, stringValue, tensorValue);
    }

    private static string ReadValueInfoName(ReadOnlySpan<byte> valueInfo, long offset, string source)
    {
        var reader = new ProtobufWireReader(valueInfo, source, offset);
        string name = "";
        while (!reader.IsAtEnd)
        {
            var (field, wire) = reader.ReadKey();
            if (field == ValueInfoName)
            {
                reader.Expect("ValueInfoProto", field, wire, ProtobufWireType.LengthDelimited);
                name = reader.ReadString();
            }
            else
            {
                reader.Skip(field, wire);
            }
        }
        return name;
    }

    // fallbackName names tensors that carry none (attribute values); null makes a missing name an error.
    private static OnnxTensor ReadTensor(ReadOnlyMemory<byte> model, ReadOnlySpan<byte> tensor, long offset, string source, string? fallbackName)
    {
        var reader = new ProtobufWireReader(tensor, source, offset);
        var dims = new List<long>();
        var dataType = OnnxDataType.Undefined;
        string name = "";
        ReadOnlyMemory<byte> raw = ReadOnlyMemory<byte>.Empty;
        List<float>? floats = null;
        List<long>? int64s = null;
        bool external = false, segmented = false;
        while (!reader.IsAtEnd)
        {
            var (field, wire) = reader.ReadKey();
            switch (field)
            {
                case TensorDims:
                    ReadVarints(ref reader, source, field, wire, dims);
                    break;
                case TensorDataType:
                    reader.Expect("TensorProto", field, wire, ProtobufWireType.Varint);
                    dataType = (OnnxDataType)reader.ReadVarint();
                    break;
                case TensorSegment:
                    segmented = true;
                    reader.Skip(field, wire);
                    break;
                case TensorFloatData:
                    floats ??= [];
                    if (wire == ProtobufWireType.LengthDelimited)
                    {
                        var packed = reader.ReadLengthDelimited(out long packedOffset);
                        if (packed.Length % sizeof(float) != 0)
                            throw reader.Malformed(packedOffset, $"packed float_data of {packed.Length} bytes is not a whole number of floats");
                        floats.AddRange(MemoryMarshal.Cast<byte, float>(packed));
                    }
                    else
                    {
                        reader.Expect("TensorProto", field, wire, ProtobufWireType.Fixed32);
                        floats.Add(reader.ReadFloat());
                    }
                    break;
                case TensorInt64Data:
                    int64s ??= [];
                    ReadVarints(ref reader, source, field, wire, int64s);
                    break;
                case TensorName:
                    reader.Expect("TensorProto", field, wire, ProtobufWireType.LengthDelimited);
                    name = reader.ReadString();
                    break;
                case TensorRawData:
                {
                    reader.Expect("TensorProto", field, wire, ProtobufWireType.LengthDelimited);
                    int length = reader.ReadLengthDelimited(out long rawOffset).Length;
                    raw = model.Slice(checked((int)rawOffset), length);
                    break;
                }
                case TensorExternalData:
                    external = true;
                    reader.Skip(field, wire);
                    break;
                case TensorDataLocation:
                    reader.Expect("TensorProto", field, wire, ProtobufWireType.Varint);
                    external |= reader.ReadVarint() == DataLocationExternal;
                    break;
                default:
                    reader.Skip(field, wire);
                    break;
            }
        }
        if (name.Length == 0)
            name = fallbackName ?? throw reader.Malformed(offset, "an initializer has no name");
        if (external)
            throw new InvalidDataException(
                $"ONNX initializer '{name}' in '{source}' keeps its data in an external file; only self-contained models are supported.");
        if (segmented)
            throw new InvalidDataException($"ONNX initializer '{name}' in '{source}' is segmented; segmented tensors are not supported.");
        return new OnnxTensor(source, name, [.. dims], dataType, raw, floats?.ToArray(), int64s?.ToArray());
    }

    /// <summary>Reads a repeated varint field that may be packed (one length-delimited run) or not.</summary>
    private static void ReadVarints(ref ProtobufWireReader reader, string source, int field, ProtobufWireType wire, List<long> into)
    {
        if (wire == ProtobufWireType.LengthDelimited)
        {
            var packed = new ProtobufWireReader(reader.ReadLengthDelimited(out long packedOffset), source, packedOffset);
            while (!packed.IsAtEnd)
                into.Add(packed.ReadInt64());
            return;
        }
        reader.Expect("TensorProto", field, wire, ProtobufWireType.Varint);
        into.Add(reader.ReadInt64());
    }
}
