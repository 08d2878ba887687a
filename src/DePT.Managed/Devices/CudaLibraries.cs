using DePT.Kernels;
using DePT.Native;

namespace DePT.Devices;

/// <summary>Which CUDA libraries this process can load, by file name, for diagnostics.</summary>
public static class CudaLibraries
{
    /// <summary>The cuBLAS file that loaded, or why none did.</summary>
    public static string Cublas => Describe(NativeLibraryKind.Cublas);

    /// <summary>The NVRTC file that loaded with its version, or why none did.</summary>
    public static string Nvrtc
    {
        get
        {
            var text = Describe(NativeLibraryKind.Nvrtc);
            return NativeLibraries.LoadedName(NativeLibraryKind.Nvrtc) is null ? text : $"{text} (NVRTC {NvrtcCompiler.Version()})";
        }
    }

    /// <summary>The NCCL file that loaded with its version, or why none did (data-parallel training needs it).</summary>
    public static string Nccl
    {
        get
        {
            var text = Describe(NativeLibraryKind.Nccl);
            return NativeLibraries.LoadedName(NativeLibraryKind.Nccl) is null ? text : $"{text} (NCCL {Distributed.NcclCommunicator.LibraryVersion()})";
        }
    }

    private static string Describe(NativeLibraryKind kind) =>
        NativeLibraries.TryLoad(kind, out var failure) ? NativeLibraries.LoadedName(kind)! : failure;
}
