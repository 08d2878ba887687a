using DePT.Devices;

namespace DePT.Tensors;

/// <summary>The bytes behind a tensor: host memory or a device allocation.</summary>
internal abstract class TensorStorage : IDisposable
{
    public abstract Device Device { get; }

    public abstract long ByteSize { get; }

    public abstract void Upload(ReadOnlySpan<byte> source);

    public abstract void Download(Span<byte> destination);

    public abstract void FillBytes(byte value);

    public abstract void Dispose();
}
