using DePT.Native;

namespace DePT.Devices;

/// <summary>What the CUDA driver on this machine offers; computed once per process.</summary>
public sealed record CudaProbe(bool IsAvailable, string Reason, int DeviceCount, int DriverVersion)
{
    private static readonly Lazy<CudaProbe> s_result = new(Probe);

    /// <summary>The probe's result (driver loaded, cuInit succeeded, device count).</summary>
    public static CudaProbe Run() => s_result.Value;

    /// <summary>The driver version as "major.minor", e.g. "13.0".</summary>
    public string DriverVersionText => DriverVersion == 0 ? "none" : $"{DriverVersion / 1000}.{DriverVersion % 1000 / 10}";

    private static CudaProbe Probe()
    {
        try
        {
            var init = CudaDriver.cuInit(0);
            if (init != CUresult.CUDA_SUCCESS)
                return new CudaProbe(false, $"cuInit failed: {init}", 0, 0);
            CudaException.ThrowIfFailed(CudaDriver.cuDriverGetVersion(out int version));
            CudaException.ThrowIfFailed(CudaDriver.cuDeviceGetCount(out int count));
            return count == 0
                ? new CudaProbe(false, "the CUDA driver reports no device", 0, version)
                : new CudaProbe(true, $"{count} device(s), driver {version / 1000}.{version % 1000 / 10}", count, version);
        }
        catch (DllNotFoundException e)
        {
            return new CudaProbe(false, e.Message, 0, 0);
        }
    }
}
