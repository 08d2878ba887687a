using DePT.Backends;
using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>Uploads weights from a checked <see cref="WeightSource"/>, converting them to the runtime dtype.</summary>
internal sealed class SourceWeightFactory(IBackend backend, DType dtype, WeightSource source) : WeightFactory(backend, dtype)
{
    public WeightSource Source { get; } = source;

    public override Tensor Create(string name, WeightKind kind, params int[] shape)
    {
        var values = new float[Tensor.ElementCount(shape)];
        Source.Read(name, values);
        var tensor = Allocate(shape);
        tensor.CopyFrom(values);
        return tensor;
    }

    public override Tensor CreateStacked(string first, string second, WeightKind kind, int rows, int columns)
    {
        int each = checked(rows * columns);
        var values = new float[checked(2 * each)];
        Source.Read(first, values.AsSpan(0, each));
        Source.Read(second, values.AsSpan(each, each));
        var tensor = Allocate(2 * rows, columns);
        tensor.CopyFrom(values);
        return tensor;
    }
}
