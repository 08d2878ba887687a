namespace DePT.Devices;

/// <summary>A device allocation failed even after the pool gave its cached blocks back.</summary>
public sealed class DeviceOutOfMemoryException : OutOfMemoryException
{
    internal DeviceOutOfMemoryException(string device, long requested, long free, long total, long inUse, long reserved)
        : base($"{device} is out of memory: asked for {Format(requested)}, {Format(free)} free of {Format(total)} " +
               $"(this process: {Format(inUse)} in use, {Format(reserved)} reserved by the pool).")
    {
        RequestedBytes = requested;
        FreeBytes = free;
    }

    /// <summary>The size of the failed request.</summary>
    public long RequestedBytes { get; }

    /// <summary>Free device memory reported by the driver at the failure.</summary>
    public long FreeBytes { get; }

    internal static string Format(long bytes) => bytes >= 1L << 30
        ? $"{bytes / (double)(1L << 30):F2} GiB"
        : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):F1} MiB" : $"{bytes} B";
}
