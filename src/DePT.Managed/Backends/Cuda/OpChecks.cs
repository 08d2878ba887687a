using DePT.Devices;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

/// <summary>
/// Argument checks of the transformer ops on the CUDA backend, done on the host before anything is queued:
/// a tensor on the wrong device, of the wrong dtype, rank or size is an exception naming the op, the
/// argument and the sizes, never a kernel reading out of bounds.
/// </summary>
internal static class OpChecks
{
    /// <summary>An F32 or BF16 tensor on <paramref name="device"/>.</summary>
    public static void Float(string op, string name, Tensor tensor, Device device)
    {
        OnDevice(op, name, tensor, device);
        if (!tensor.DType.IsFloatingPoint())
            throw new ArgumentException($"{op}: {name} {tensor.ShapeText} must be f32 or bf16.", name);
    }

    /// <summary>An F32 tensor on <paramref name="device"/>.</summary>
    public static void F32(string op, string name, Tensor tensor, Device device)
    {
        OnDevice(op, name, tensor, device);
        if (tensor.DType != DType.F32)
            throw new ArgumentException($"{op}: {name} {tensor.ShapeText} must be f32.", name);
    }

    /// <summary>An I32 tensor on <paramref name="device"/>.</summary>
    public static void Int32(string op, string name, Tensor tensor, Device device)
    {
        OnDevice(op, name, tensor, device);
        if (tensor.DType != DType.I32)
            throw new ArgumentException($"{op}: {name} {tensor.ShapeText} must be i32.", name);
    }

    /// <summary>A float tensor of exactly <paramref name="rank"/> dimensions.</summary>
    public static void FloatRank(string op, string name, Tensor tensor, int rank, Device device)
    {
        Float(op, name, tensor, device);
        Rank(op, name, tensor, rank);
    }

    /// <summary>Exactly <paramref name="rank"/> dimensions.</summary>
    public static void Rank(string op, string name, Tensor tensor, int rank)
    {
        if (tensor.Rank != rank)
            throw new ArgumentException($"{op}: {name} {tensor.ShapeText} must have rank {rank}.", name);
    }

    /// <summary>
    /// The rows view of the header conventions: (N, last) with N the product of the leading dimensions
    /// (1 for a vector). Throws for a scalar.
    /// </summary>
    public static (int Rows, int Last) Rows(string op, string name, Tensor tensor)
    {
        if (tensor.Rank < 1)
            throw new ArgumentException($"{op}: {name} {tensor.ShapeText} needs at least one dimension.", name);
        int last = tensor.Dim(-1);
        long rows = last == 0 ? LeadingCount(tensor) : tensor.Length / last;
        if (rows > int.MaxValue)
            throw new ArgumentOutOfRangeException(name, $"{op}: {name} {tensor.ShapeText} has {rows} rows; at most {int.MaxValue} are supported.");
        return ((int)rows, last);
    }

    /// <summary>The same shape as <paramref name="reference"/>.</summary>
    public static void SameShape(string op, string name, Tensor tensor, string referenceName, Tensor reference)
    {
        if (!tensor.Shape.SequenceEqual(reference.Shape))
            throw new ArgumentException($"{op}: {name} is {tensor.ShapeText}, {referenceName} is {reference.ShapeText}; they must have the same shape.", name);
    }

    /// <summary>Dimensions equal to <paramref name="dims"/> (the tensor's rank must match).</summary>
    public static void Shape(string op, string name, Tensor tensor, string expected, params int[] dims)
    {
        if (tensor.Rank != dims.Length || !tensor.Shape.SequenceEqual(dims))
            throw new ArgumentException($"{op}: {name} is {tensor.ShapeText}, expected {expected}.", name);
    }

    /// <summary>A tensor of <paramref name="count"/> elements, read as a flat vector (N).</summary>
    public static void Count(string op, string name, Tensor tensor, long count, string expected)
    {
        if (tensor.Length != count)
            throw new ArgumentException($"{op}: {name} {tensor.ShapeText} holds {tensor.Length} elements, expected {expected} = {count}.", name);
    }

    /// <summary>Leading dimensions of <paramref name="tensor"/> equal to those of <paramref name="reference"/>, and a last dimension of <paramref name="last"/>.</summary>
    public static void RowsLike(string op, string name, Tensor tensor, string referenceName, Tensor reference, int last)
    {
        bool ok = tensor.Rank == reference.Rank && tensor.Dim(-1) == last
            && tensor.Shape[..^1].SequenceEqual(reference.Shape[..^1]);
        if (!ok)
            throw new ArgumentException(
                $"{op}: {name} is {tensor.ShapeText}; expected the leading dimensions of {referenceName} {reference.ShapeText} and a last dimension of {last}.", name);
    }

    private static void OnDevice(string op, string name, Tensor tensor, Device device)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (tensor.Device != device)
            throw new ArgumentException($"{op}: {name} is on {tensor.Device}, the backend runs on {device}.", name);
    }

    private static long LeadingCount(Tensor tensor)
    {
        long n = 1;
        for (int i = 0; i < tensor.Rank - 1; i++) n *= tensor.Dim(i);
        return n;
    }
}
