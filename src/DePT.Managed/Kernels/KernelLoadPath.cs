namespace DePT.Kernels;

/// <summary>How the kernel module got onto the device.</summary>
public enum KernelLoadPath
{
    /// <summary>A fatbin built by CMake/nvcc, next to the assembly or named by DEPT_KERNELS.</summary>
    Fatbin,

    /// <summary>The embedded sources compiled now by NVRTC (and written to the disk cache).</summary>
    NvrtcCompiled,

    /// <summary>A cubin NVRTC compiled earlier, read from the disk cache.</summary>
    NvrtcCached,
}
