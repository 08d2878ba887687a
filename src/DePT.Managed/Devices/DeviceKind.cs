namespace DePT.Devices;

/// <summary>The two kinds of device the runtime runs on.</summary>
public enum DeviceKind
{
    /// <summary>The host CPU (fp32 reference backend).</summary>
    Cpu,

    /// <summary>An NVIDIA GPU through the CUDA driver API.</summary>
    Cuda,
}
