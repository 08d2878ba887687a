using DePT.Models.MiniLm;

namespace DePT.Models.Runtime;

/// <summary>The MiniLM weights read from the ONNX model, already under Hugging Face BertModel names and layouts.</summary>
internal sealed class MiniLmWeightSource(MiniLmWeights weights, string origin) : WeightSource
{
    private readonly string[] _names = weights.Keys.Order(StringComparer.Ordinal).ToArray();

    public override string Origin => origin;

    public override IReadOnlyCollection<string> Names => _names;

    public override bool Contains(string name) => weights.ContainsKey(name);

    public override int[] GetShape(string name) => weights[name].Shape;

    public override string Locate(string name) => origin;

    public override void Read(string name, Span<float> destination)
    {
        var data = weights[name].Data;
        if (data.Length != destination.Length)
            throw new ArgumentException($"Weight '{name}' holds {data.Length} values; the destination takes {destination.Length}.");
        data.CopyTo(destination);
    }

    public override bool SameValues(string first, string second) =>
        weights[first].Shape.AsSpan().SequenceEqual(weights[second].Shape) && weights[first].Data.AsSpan().SequenceEqual(weights[second].Data);
}
