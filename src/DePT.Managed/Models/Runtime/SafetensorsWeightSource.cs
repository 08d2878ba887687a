using DePT.IO;

namespace DePT.Models.Runtime;

/// <summary>The weights of a Hugging Face folder (one <c>model.safetensors</c> or shards).</summary>
internal sealed class SafetensorsWeightSource(ModelWeights weights) : WeightSource
{
    public override string Origin => weights.Folder;

    public override IReadOnlyCollection<string> Names => weights.TensorNames;

    public override bool Contains(string name) => weights.Contains(name);

    public override int[] GetShape(string name) => weights.GetInfo(name).GetShapeInt32();

    public override string Locate(string name) => weights.GetFile(name).FilePath;

    public override void Read(string name, Span<float> destination) => weights.ReadAsFloat32(name, destination);

    public override bool SameValues(string first, string second)
    {
        var a = weights.GetInfo(first);
        var b = weights.GetInfo(second);
        return a.DType == b.DType && a.Shape.SequenceEqual(b.Shape) && weights.GetBytes(first).SequenceEqual(weights.GetBytes(second));
    }
}
