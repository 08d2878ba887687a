using DePT.Diagnostics;

namespace DePT.Devices;

/// <summary>A device allocation failed even after the pool gave its cached blocks back.</summary>
public sealed class DeviceOutOfMemoryException : OutOfMemoryException
{
    internal DeviceOutOfMemoryException(string device, long requested, long free, long total, long inUse, long reserved)
        : base($"{device} is out of memory: asked for {ByteCount.Format(requested)}, {ByteCount.Format(free)} free of {ByteCount.Format(total)} " +
               $"(this process: {ByteCount.Format(inUse)} in use, {ByteCount.Format(reserved)} reserved by the pool).")
    {
        RequestedBytes = requested;
        FreeBytes = free;
    }

    /// <summary>The size of the failed request.</summary>
    public long RequestedBytes { get; }

    /// <summary>Free device memory reported by the driver at the failure.</summary>
    public long FreeBytes { get; }
}
