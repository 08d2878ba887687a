using System.Text;
using DePT.Kernels;
using DePT.Native;

namespace DePT.Devices;

/// <summary>
/// One CUDA device in use: its primary context, the one stream all work goes on, the memory pool, the
/// kernel module and the kernels' error word. Children (buffers, module, stream) are released before the
/// context when this is disposed; nothing here calls CUDA from a finalizer.
/// </summary>
public sealed unsafe class CudaDevice : IDisposable
{
    [ThreadStatic] private static CUcontext t_current;

    private readonly CUdevice _handle;
    private CudaKernelModule? _kernels;
    private CudaBlas? _blas;
    private CUdeviceptr _errorWord;
    private bool _disposed;

    private CudaDevice(int ordinal)
    {
        Ordinal = ordinal;
        CudaException.ThrowIfFailed(CudaDriver.cuDeviceGet(out _handle, ordinal));
        Name = ReadName(_handle);
        ComputeCapabilityMajor = Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        ComputeCapabilityMinor = Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        MultiprocessorCount = Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        L2CacheBytes = Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
        CudaException.ThrowIfFailed(CudaDriver.cuDeviceTotalMem_v2(out nuint total, _handle));
        TotalMemoryBytes = (long)total;

        CudaException.ThrowIfFailed(CudaDriver.cuDevicePrimaryCtxRetain(out var context, _handle));
        Context = context;
        MakeCurrent();
        CudaException.ThrowIfFailed(CudaDriver.cuStreamCreate(out var stream, CUstream_flags.CU_STREAM_NON_BLOCKING));
        Stream = stream;
        Pool = new CudaMemoryPool(this);
        CudaException.ThrowIfFailed(CudaDriver.cuMemAlloc_v2(out _errorWord, (nuint)KernelError.WordBytes));
        CudaException.ThrowIfFailed(CudaDriver.cuMemsetD8Async(_errorWord, 0, (nuint)KernelError.WordBytes, Stream));
    }

    /// <summary>The ordinal this device was opened with.</summary>
    public int Ordinal { get; }

    /// <summary>The device's name as the driver reports it.</summary>
    public string Name { get; }

    /// <summary>Compute capability, major part (9 for Hopper).</summary>
    public int ComputeCapabilityMajor { get; }

    /// <summary>Compute capability, minor part.</summary>
    public int ComputeCapabilityMinor { get; }

    /// <summary>Number of streaming multiprocessors.</summary>
    public int MultiprocessorCount { get; }

    /// <summary>L2 cache size in bytes.</summary>
    public int L2CacheBytes { get; }

    /// <summary>Total device memory in bytes.</summary>
    public long TotalMemoryBytes { get; }

    /// <summary>The device's caching memory pool (current and peak bytes).</summary>
    public CudaMemoryPool Pool { get; }

    /// <summary>The loaded kernel module (CMake fatbin, or NVRTC-compiled embedded sources).</summary>
    public CudaKernelModule Kernels => _kernels ??= CudaKernelModule.Load(this);

    /// <summary>cuBLAS bound to this device's stream, created on first use (loading libcublas then).</summary>
    internal CudaBlas Blas => _blas ??= new CudaBlas(this);

    internal CUcontext Context { get; }

    internal CUstream Stream { get; }

    internal CUdevice Handle => _handle;

    internal CUdeviceptr ErrorWord => _errorWord;

    /// <summary>Opens the CUDA device with the given ordinal; throws a <see cref="CudaUnavailableException"/> naming why when it cannot.</summary>
    public static CudaDevice Open(int ordinal = 0)
    {
        var probe = CudaProbe.Run();
        if (!probe.IsAvailable) throw new CudaUnavailableException(probe.Reason);
        if (ordinal >= probe.DeviceCount)
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"Only {probe.DeviceCount} CUDA device(s) present.");
        return new CudaDevice(ordinal);
    }

    /// <summary>Makes this device's context current on the calling thread (cheap when it already is).</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (t_current == Context) return;
        CudaException.ThrowIfFailed(CudaDriver.cuCtxSetCurrent(Context));
        t_current = Context;
    }

    /// <summary>Waits for all queued work, then raises any error a kernel recorded (bad token id, bad prompt index).</summary>
    public void Synchronize()
    {
        MakeCurrent();
        CudaException.ThrowIfFailed(CudaDriver.cuStreamSynchronize(Stream));
        Span<int> word = stackalloc int[KernelError.WordInts];
        fixed (int* p = word)
            CudaException.ThrowIfFailed(CudaDriver.cuMemcpyDtoH_v2(p, _errorWord, (nuint)KernelError.WordBytes));
        if (word[0] != 0)
        {
            CudaException.ThrowIfFailed(CudaDriver.cuMemsetD8Async(_errorWord, 0, (nuint)KernelError.WordBytes, Stream));
            throw KernelError.ToException(word);
        }
    }

    /// <summary>Free and total device memory as the driver reports them now.</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        CudaException.ThrowIfFailed(CudaDriver.cuMemGetInfo_v2(out nuint free, out nuint total));
        return ((long)free, (long)total);
    }

    /// <summary>Reads a device attribute.</summary>
    internal int Attribute(CUdevice_attribute attribute)
    {
        CudaException.ThrowIfFailed(CudaDriver.cuDeviceGetAttribute(out int value, attribute, _handle));
        return value;
    }

    /// <inheritdoc />
    public override string ToString() => $"cuda:{Ordinal} ({Name}, sm_{ComputeCapabilityMajor}{ComputeCapabilityMinor})";

    /// <summary>Releases cuBLAS, the module, memory, stream and context, in that order.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        CudaDriver.cuCtxSetCurrent(Context);
        t_current = Context;
        CudaDriver.cuStreamSynchronize(Stream);
        _blas?.Dispose();
        _kernels?.Dispose();
        int leaked = Pool.ReleaseAll();
        if (leaked > 0)
            Console.Error.WriteLine($"warning: {leaked} device buffer(s) on {this} were not disposed; freed with the device.");
        CudaDriver.cuMemFree_v2(_errorWord);
        CudaDriver.cuStreamDestroy_v2(Stream);
        CudaDriver.cuDevicePrimaryCtxRelease_v2(_handle);
        t_current = default;
        _disposed = true;
    }

    private static string ReadName(CUdevice device)
    {
        Span<byte> buffer = stackalloc byte[256];
        fixed (byte* p = buffer)
            CudaException.ThrowIfFailed(CudaDriver.cuDeviceGetName(p, buffer.Length, device));
        int end = buffer.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? buffer : buffer[..end]);
    }
}
