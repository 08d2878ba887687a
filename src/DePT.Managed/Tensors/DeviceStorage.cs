using DePT.Devices;
using DePT.Native;

namespace DePT.Tensors;

/// <summary>Tensor data in a block of a CUDA device's pool. Transfers are ordered on the device's stream.</summary>
internal sealed unsafe class DeviceStorage : TensorStorage
{
    private readonly CudaDevice _device;
    private CUdeviceptr _ptr;

    public DeviceStorage(CudaDevice device, long byteSize)
    {
        _device = device;
        ByteSize = byteSize;
        _ptr = device.Pool.Rent(byteSize);
    }

    public override Device Device => Device.Cuda(_device.Ordinal);

    public override long ByteSize { get; }

    public CudaDevice Owner => _device;

    public CUdeviceptr Pointer => _ptr.IsNull ? throw new ObjectDisposedException(nameof(DeviceStorage)) : _ptr;

    public override void Upload(ReadOnlySpan<byte> source)
    {
        _device.MakeCurrent();
        fixed (byte* p = source)
        {
            // Pageable host memory: the async copy returns once the source is staged, so the span may go.
            CudaException.ThrowIfFailed(CudaDriver.cuMemcpyHtoDAsync_v2(Pointer, p, (nuint)source.Length, _device.Stream));
        }
    }

    public override void Download(Span<byte> destination)
    {
        _device.MakeCurrent();
        fixed (byte* p = destination)
            CudaException.ThrowIfFailed(CudaDriver.cuMemcpyDtoHAsync_v2(p, Pointer, (nuint)destination.Length, _device.Stream));
        _device.Synchronize();
    }

    public override void FillBytes(byte value)
    {
        _device.MakeCurrent();
        CudaException.ThrowIfFailed(CudaDriver.cuMemsetD8Async(Pointer, value, (nuint)ByteSize, _device.Stream));
    }

    public override void Dispose()
    {
        if (_ptr.IsNull) return;
        _device.Pool.Return(_ptr);
        _ptr = default;
    }
}
