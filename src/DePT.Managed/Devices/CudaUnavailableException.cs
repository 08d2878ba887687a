namespace DePT.Devices;

/// <summary>No usable CUDA device: the driver is missing, fails to initialise, or reports no device.</summary>
public sealed class CudaUnavailableException : InvalidOperationException
{
    /// <summary>Creates the exception with the reason the probe found.</summary>
    public CudaUnavailableException(string reason) : base($"CUDA is not available: {reason}") => Reason = reason;

    /// <summary>Why CUDA cannot be used, e.g. "libcuda.so.1 not found".</summary>
    public string Reason { get; }
}
