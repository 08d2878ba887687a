using DePT.Backends;
using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>
/// Creates a model's weight tensors on a backend in the runtime dtype, keeping every tensor it made in
/// <see cref="Owned"/> so that a failure part-way disposes all of them (nothing is left half-loaded).
/// </summary>
internal abstract class WeightFactory(IBackend backend, DType dtype)
{
    public IBackend Backend { get; } = backend;

    public DType DType { get; } = dtype;

    public OwnedTensors Owned { get; } = new();

    /// <summary>The tensor called <paramref name="name"/>, of the given shape.</summary>
    public abstract Tensor Create(string name, WeightKind kind, params int[] shape);

    /// <summary>One (2·rows, columns) tensor holding <paramref name="first"/>'s rows, then <paramref name="second"/>'s.</summary>
    public abstract Tensor CreateStacked(string first, string second, WeightKind kind, int rows, int columns);

    protected Tensor Allocate(params int[] shape) => Owned.Add(Backend.Allocate(DType, shape));
}
