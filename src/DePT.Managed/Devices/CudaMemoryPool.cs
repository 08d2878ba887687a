using DePT.Native;

namespace DePT.Devices;

/// <summary>
/// A caching allocator for one CUDA device. Freed blocks are kept per rounded size and handed out again,
/// so steady-state training allocates nothing from the driver. It records the bytes in use and their
/// high-water mark: this is how the project measures peak memory. All work is on the device's one stream,
/// so a block returned here may be reused by later work on that stream without a synchronisation.
/// </summary>
public sealed class CudaMemoryPool
{
    private const long SmallGranularity = 512;
    private const long LargeGranularity = 2L << 20;
    private const long SmallLimit = 1L << 20;

    private readonly CudaDevice _device;
    private readonly Dictionary<long, Stack<CUdeviceptr>> _free = new();
    private readonly Dictionary<ulong, long> _live = new();
    private readonly object _gate = new();

    internal CudaMemoryPool(CudaDevice device) => _device = device;

    /// <summary>Bytes handed out and not yet returned (rounded block sizes).</summary>
    public long CurrentBytes { get; private set; }

    /// <summary>The largest <see cref="CurrentBytes"/> seen since creation or the last <see cref="ResetPeak"/>.</summary>
    public long PeakBytes { get; private set; }

    /// <summary>Bytes held from the driver: in use plus cached.</summary>
    public long ReservedBytes { get; private set; }

    /// <summary>Number of live blocks.</summary>
    public int LiveBlocks { get { lock (_gate) return _live.Count; } }

    /// <summary>Starts a new high-water mark at the current usage.</summary>
    public void ResetPeak()
    {
        lock (_gate) PeakBytes = CurrentBytes;
    }

    /// <summary>The block size a request of <paramref name="bytes"/> is served with.</summary>
    public static long RoundSize(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long g = bytes <= SmallLimit ? SmallGranularity : LargeGranularity;
        return Math.Max(g, (bytes + g - 1) / g * g);
    }

    internal CUdeviceptr Rent(long bytes)
    {
        long size = RoundSize(bytes);
        lock (_gate)
        {
            if (!_free.TryGetValue(size, out var stack) || !stack.TryPop(out var ptr))
                ptr = AllocateFromDriver(bytes, size);
            _live.Add(ptr.Address, size);
            CurrentBytes += size;
            if (CurrentBytes > PeakBytes) PeakBytes = CurrentBytes;
            return ptr;
        }
    }

    internal void Return(CUdeviceptr ptr)
    {
        lock (_gate)
        {
            if (!_live.Remove(ptr.Address, out long size))
                throw new InvalidOperationException($"Device pointer 0x{ptr.Address:X} was not allocated by this pool or was returned twice.");
            CurrentBytes -= size;
            if (!_free.TryGetValue(size, out var stack)) _free[size] = stack = new Stack<CUdeviceptr>();
            stack.Push(ptr);
        }
    }

    /// <summary>Gives every cached (unused) block back to the driver.</summary>
    public void ReleaseCached()
    {
        lock (_gate)
        {
            _device.MakeCurrent();
            ReleaseCachedLocked();
        }
    }

    /// <summary>Frees everything, live blocks included; returns how many live blocks were leaked.</summary>
    internal int ReleaseAll()
    {
        lock (_gate)
        {
            int leaked = _live.Count;
            foreach (var ptr in _live.Keys) CudaDriver.cuMemFree_v2(new CUdeviceptr(ptr));
            _live.Clear();
            foreach (var stack in _free.Values)
                while (stack.TryPop(out var ptr)) CudaDriver.cuMemFree_v2(ptr);
            _free.Clear();
            CurrentBytes = 0;
            ReservedBytes = 0;
            return leaked;
        }
    }

    private CUdeviceptr AllocateFromDriver(long requested, long size)
    {
        _device.MakeCurrent();
        var status = CudaDriver.cuMemAlloc_v2(out var ptr, (nuint)size);
        if (status == CUresult.CUDA_ERROR_OUT_OF_MEMORY)
        {
            ReleaseCachedLocked();
            status = CudaDriver.cuMemAlloc_v2(out ptr, (nuint)size);
            if (status == CUresult.CUDA_ERROR_OUT_OF_MEMORY)
            {
                var (free, total) = _device.MemoryInfo();
                throw new DeviceOutOfMemoryException(_device.ToString(), requested, free, total, CurrentBytes, ReservedBytes);
            }
        }
        CudaException.ThrowIfFailed(status, call: $"cuMemAlloc_v2(out ptr, {size})");
        ReservedBytes += size;
        return ptr;
    }

    private void ReleaseCachedLocked()
    {
        CudaException.ThrowIfFailed(CudaDriver.cuStreamSynchronize(_device.Stream));
        foreach (var (size, stack) in _free)
        {
            while (stack.TryPop(out var ptr))
            {
                CudaException.ThrowIfFailed(CudaDriver.cuMemFree_v2(ptr));
                ReservedBytes -= size;
            }
        }
        _free.Clear();
    }
}
