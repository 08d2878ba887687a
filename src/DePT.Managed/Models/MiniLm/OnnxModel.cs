namespace DePT.Models.MiniLm;

/// <summary>What <see cref="OnnxInitializerReader"/> keeps of an ONNX <c>ModelProto</c>: the main graph's
/// initializers, its nodes in file order, and the names of its inputs and outputs.</summary>
public sealed class OnnxModel
{
    internal OnnxModel(string source, string producerName, IReadOnlyDictionary<string, OnnxTensor> initializers,
        IReadOnlyList<OnnxNode> nodes, IReadOnlyList<string> inputNames, IReadOnlyList<string> outputNames)
    {
        Source = source;
        ProducerName = producerName;
        Initializers = initializers;
        Nodes = nodes;
        InputNames = inputNames;
        OutputNames = outputNames;
    }

    /// <summary>Where the model came from (file path or resource name).</summary>
    public string Source { get; }

    /// <summary><c>ModelProto.producer_name</c>, e.g. <c>pytorch</c>.</summary>
    public string ProducerName { get; }

    /// <summary>Graph initializers by name.</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }

    /// <summary>Graph nodes in file order (ONNX requires topological order).</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>Names of the graph inputs (in IR version 3 files these may include initializers).</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>Names of the graph outputs.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Finds the constant value called <paramref name="valueName"/>: an initializer, or the
    /// <c>value</c> of the Constant node that outputs it.</summary>
    public bool TryGetConstant(string valueName, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out OnnxTensor? tensor)
    {
        if (Initializers.TryGetValue(valueName, out tensor))
            return true;
        foreach (OnnxNode node in Nodes)
        {
            if (node.OpType == "Constant" && node.Outputs.Count == 1 && node.Outputs[0] == valueName
                && node.Attributes.TryGetValue("value", out var value) && value.Tensor is not null)
            {
                tensor = value.Tensor;
                return true;
            }
        }
        tensor = null;
        return false;
    }
}
