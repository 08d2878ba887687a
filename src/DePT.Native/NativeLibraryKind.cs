namespace DePT.Native;

/// <summary>The native libraries this binding resolves at run time.</summary>
internal enum NativeLibraryKind
{
    /// <summary>The CUDA driver API: libcuda.so.1 (nvcuda.dll).</summary>
    Cuda,

    /// <summary>cuBLAS 13 or 12: libcublas.so.13 / .12.</summary>
    Cublas,

    /// <summary>The NVRTC runtime compiler 13 or 12: libnvrtc.so.13 / .12.</summary>
    Nvrtc,

    /// <summary>NCCL 2: libnccl.so.2.</summary>
    Nccl,
}
