using System.Runtime.InteropServices;
using DePT.Devices;
using DePT.Numerics;

namespace DePT.Tensors;

/// <summary>
/// A dense, row-major tensor on one device. Created by a backend (<see cref="Backends.IBackend.Allocate"/>);
/// owns its storage until disposed. Host transfers convert between float and the tensor's dtype.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly int[] _shape;
    private TensorStorage? _storage;

    internal Tensor(TensorStorage storage, DType dtype, int[] shape)
    {
        _storage = storage;
        _shape = shape;
        DType = dtype;
        Length = ElementCount(shape);
    }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Bytes of element data.</summary>
    public long ByteSize => Length * DType.SizeInBytes();

    /// <summary>The device holding the data.</summary>
    public Device Device => Storage.Device;

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => _storage is null;

    internal TensorStorage Storage => _storage ?? throw new ObjectDisposedException(nameof(Tensor), $"Tensor {ShapeText} was disposed.");

    /// <summary>The size of dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public int Dim(int axis)
    {
        int a = axis < 0 ? axis + _shape.Length : axis;
        if ((uint)a >= (uint)_shape.Length)
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Tensor {ShapeText} has rank {_shape.Length}.");
        return _shape[a];
    }

    /// <summary>The shape and dtype as text, e.g. "bf16[32, 316, 4096]".</summary>
    public string ShapeText => $"{DType.ToString().ToLowerInvariant()}[{string.Join(", ", _shape)}]";

    /// <summary>Copies floats in, converting to the tensor's floating-point dtype.</summary>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        RequireLength(values.Length);
        switch (DType)
        {
            case DType.F32:
                Storage.Upload(MemoryMarshal.AsBytes(values));
                break;
            case DType.BF16:
                var bits = new ushort[values.Length];
                BFloat16.FromSingle(values, bits);
                Storage.Upload(MemoryMarshal.AsBytes(bits.AsSpan()));
                break;
            default:
                throw new InvalidOperationException($"Cannot copy floats into an {ShapeText} tensor.");
        }
    }

    /// <summary>Copies int32 values in (I32 tensors only).</summary>
    public void CopyFrom(ReadOnlySpan<int> values)
    {
        if (DType != DType.I32) throw new InvalidOperationException($"Cannot copy int32 values into a {ShapeText} tensor.");
        RequireLength(values.Length);
        Storage.Upload(MemoryMarshal.AsBytes(values));
    }

    /// <summary>Copies the data out as floats (F32 and BF16 tensors).</summary>
    public float[] ToFloatArray()
    {
        var result = new float[Length];
        switch (DType)
        {
            case DType.F32:
                Storage.Download(MemoryMarshal.AsBytes(result.AsSpan()));
                break;
            case DType.BF16:
                var bits = new ushort[Length];
                Storage.Download(MemoryMarshal.AsBytes(bits.AsSpan()));
                BFloat16.ToSingle(bits, result);
                break;
            default:
                throw new InvalidOperationException($"Cannot read a {ShapeText} tensor as floats.");
        }
        return result;
    }

    /// <summary>Copies the data out as int32 values (I32 tensors only).</summary>
    public int[] ToInt32Array()
    {
        if (DType != DType.I32) throw new InvalidOperationException($"Cannot read a {ShapeText} tensor as int32.");
        var result = new int[Length];
        Storage.Download(MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    /// <summary>Sets every byte of the data to <paramref name="value"/> (0xFF poisons floats with NaN).</summary>
    public void FillBytes(byte value) => Storage.FillBytes(value);

    /// <summary>Releases the storage (device memory goes back to its pool).</summary>
    public void Dispose()
    {
        _storage?.Dispose();
        _storage = null;
    }

    /// <inheritdoc />
    public override string ToString() => $"{ShapeText} on {(_storage is null ? "(disposed)" : Device.ToString())}";

    internal static long ElementCount(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(shape), $"Negative dimension in shape [{string.Join(", ", shape.ToArray())}].");
            n = checked(n * d);
        }
        return n;
    }

    private void RequireLength(int count)
    {
        if (count != Length)
            throw new ArgumentException($"Tensor {ShapeText} holds {Length} elements; {count} were given.");
    }
}
