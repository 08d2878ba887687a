using System.Runtime.InteropServices;
using DePT.Devices;

namespace DePT.Tensors;

/// <summary>Tensor data in managed memory, for the CPU backend.</summary>
internal sealed class HostStorage : TensorStorage
{
    private byte[]? _bytes;

    public HostStorage(long byteSize)
    {
        if (byteSize > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(byteSize), byteSize, "A CPU tensor is limited to 2 GiB of data.");
        _bytes = GC.AllocateUninitializedArray<byte>((int)byteSize);
    }

    public override Device Device => Device.Cpu;

    public override long ByteSize => Bytes.Length;

    public byte[] Bytes => _bytes ?? throw new ObjectDisposedException(nameof(HostStorage));

    public Span<T> AsSpan<T>() where T : unmanaged => MemoryMarshal.Cast<byte, T>(Bytes.AsSpan());

    public override void Upload(ReadOnlySpan<byte> source) => source.CopyTo(Bytes);

    public override void Download(Span<byte> destination) => Bytes.AsSpan().CopyTo(destination);

    public override void FillBytes(byte value) => Bytes.AsSpan().Fill(value);

    public override void Dispose() => _bytes = null;
}
