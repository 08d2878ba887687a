using DePT.Backends.Cpu;
using DePT.Backends.Cuda;
using DePT.Devices;

namespace DePT.Backends;

/// <summary>Opens the backend for a device kind, and picks the default kind of this machine.</summary>
public static class BackendFactory
{
    /// <summary>CUDA when a usable device is found, else the CPU.</summary>
    public static DeviceKind DefaultKind() => CudaProbe.Run().IsAvailable ? DeviceKind.Cuda : DeviceKind.Cpu;

    /// <summary>Parses "cpu" or "cuda" (any case); null gives <see cref="DefaultKind"/>.</summary>
    /// <exception cref="ArgumentException">Another word; the message names it.</exception>
    public static DeviceKind ParseKind(string? name) => name?.ToLowerInvariant() switch
    {
        null => DefaultKind(),
        "cpu" => DeviceKind.Cpu,
        "cuda" => DeviceKind.Cuda,
        _ => throw new ArgumentException($"the device must be cpu or cuda; got \"{name}\"."),
    };

    /// <summary>A new CPU backend, or a CUDA backend on device <paramref name="ordinal"/>.</summary>
    /// <exception cref="CudaUnavailableException">CUDA was asked for and there is no usable device; the message says why.</exception>
    public static IBackend Open(DeviceKind kind, int ordinal = 0)
    {
        if (kind == DeviceKind.Cpu) return new CpuBackend();
        var probe = CudaProbe.Run();
        if (!probe.IsAvailable) throw new CudaUnavailableException(probe.Reason);
        return CudaBackend.Open(ordinal);
    }
}
