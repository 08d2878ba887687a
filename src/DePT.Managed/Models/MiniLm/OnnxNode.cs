namespace DePT.Models.MiniLm;

/// <summary>One ONNX graph node: its operator, the names of the values it reads and writes, and its attributes.</summary>
/// <param name="Name">The node's name (may be empty).</param>
/// <param name="OpType">The operator, e.g. <c>MatMul</c>.</param>
/// <param name="Inputs">Input value names in operator order (an empty name is an omitted optional input).</param>
/// <param name="Outputs">Output value names in operator order.</param>
/// <param name="Attributes">Attributes by name.</param>
public sealed record OnnxNode(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    /// <summary>An INT attribute, or <paramref name="defaultValue"/> when the node does not set it (as ONNX defaults do).</summary>
    public long GetInt(string attribute, long defaultValue) =>
        Attributes.TryGetValue(attribute, out var a) && a.Int is long value ? value : defaultValue;
}
