using DePT.Backends;
using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>
/// Random weights drawn on the device (see <see cref="DeviceRandom"/>): linear layers U(±1/√in), embeddings and
/// position-bias tables U(±1), biases U(±0.1), norm gains 1 and norm biases 0. For shape and speed tests, where
/// no checkpoint of the full size is at hand.
/// </summary>
internal sealed class RandomWeightFactory(IBackend backend, DType dtype, ulong seed) : WeightFactory(backend, dtype)
{
    private ulong _nextStream;

    public override Tensor Create(string name, WeightKind kind, params int[] shape)
    {
        var tensor = Allocate(shape);
        Initialise(tensor, kind, shape[^1]);
        return tensor;
    }

    public override Tensor CreateStacked(string first, string second, WeightKind kind, int rows, int columns) =>
        Create(first, kind, 2 * rows, columns);

    private void Initialise(Tensor tensor, WeightKind kind, int fanIn)
    {
        float bound = kind switch
        {
            WeightKind.Linear => 1f / MathF.Sqrt(fanIn),
            WeightKind.Embedding or WeightKind.PositionBiasTable => 1f,
            WeightKind.LinearBias => 0.1f,
            _ => 0f,
        };
        if (kind == WeightKind.NormGain) Backend.Fill(tensor, 1f);
        else if (kind == WeightKind.NormBias) Backend.Fill(tensor, 0f);
        else DeviceRandom.FillUniform(Backend, tensor, -bound, bound, seed, _nextStream++);
    }
}
