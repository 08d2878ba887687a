using System.Runtime.InteropServices;

namespace DePT.Native;

/// <summary>
/// NVRTC, the runtime CUDA C++ compiler (libnvrtc 13 or 12), as nvrtc.h declares it: exact C names, strings
/// marshalled as UTF-8, no policy.
/// </summary>
internal static unsafe partial class Nvrtc
{
    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial nvrtcResult nvrtcVersion(out int major, out int minor);

    /// <summary>
    /// Creates a program from <paramref name="src"/>. <paramref name="headers"/> holds the source text of
    /// <paramref name="numHeaders"/> headers that <c>#include</c> finds under the parallel
    /// <paramref name="includeNames"/>; both null when there are none. <paramref name="name"/> names the
    /// program in the log (null: "default_program").
    /// </summary>
    [LibraryImport(NativeLibraries.Nvrtc, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nvrtcResult nvrtcCreateProgram(
        out nvrtcProgram prog, string src, string? name, int numHeaders, string[]? headers, string[]? includeNames);

    /// <summary>Compiles with <paramref name="numOptions"/> command-line style options (e.g. "--gpu-architecture=sm_90").</summary>
    [LibraryImport(NativeLibraries.Nvrtc, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nvrtcResult nvrtcCompileProgram(nvrtcProgram prog, int numOptions, string[]? options);

    /// <summary>The log's size in bytes, its terminating NUL included.</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram prog, out nuint logSizeRet);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial nvrtcResult nvrtcGetProgramLog(nvrtcProgram prog, byte* log);

    /// <summary>The cubin's size in bytes; available when compiled for a real architecture (sm_XX).</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial nvrtcResult nvrtcGetCUBINSize(nvrtcProgram prog, out nuint cubinSizeRet);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial nvrtcResult nvrtcGetCUBIN(nvrtcProgram prog, byte* cubin);

    /// <summary>The PTX's size in bytes, its terminating NUL included.</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial nvrtcResult nvrtcGetPTXSize(nvrtcProgram prog, out nuint ptxSizeRet);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial nvrtcResult nvrtcGetPTX(nvrtcProgram prog, byte* ptx);

    /// <summary>Destroys the program and sets <paramref name="prog"/> to null.</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial nvrtcResult nvrtcDestroyProgram(ref nvrtcProgram prog);

    /// <summary>A static string owned by NVRTC: read it, never free it.</summary>
    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial byte* nvrtcGetErrorString(nvrtcResult result);
}

/// <summary><c>nvrtcProgram</c>: an opaque pointer.</summary>
internal readonly record struct nvrtcProgram(nint Handle)
{
    public bool IsNull => Handle == 0;
}

/// <summary><c>nvrtcResult</c>: every value of nvrtc.h (CUDA 13.0).</summary>
internal enum nvrtcResult
{
    NVRTC_SUCCESS = 0,
    NVRTC_ERROR_OUT_OF_MEMORY = 1,
    NVRTC_ERROR_PROGRAM_CREATION_FAILURE = 2,
    NVRTC_ERROR_INVALID_INPUT = 3,
    NVRTC_ERROR_INVALID_PROGRAM = 4,
    NVRTC_ERROR_INVALID_OPTION = 5,
    NVRTC_ERROR_COMPILATION = 6,
    NVRTC_ERROR_BUILTIN_OPERATION_FAILURE = 7,
    NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION = 8,
    NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION = 9,
    NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID = 10,
    NVRTC_ERROR_INTERNAL_ERROR = 11,
    NVRTC_ERROR_TIME_FILE_WRITE_FAILED = 12,
    NVRTC_ERROR_NO_PCH_CREATE_ATTEMPTED = 13,
    NVRTC_ERROR_PCH_CREATE_HEAP_EXHAUSTED = 14,
    NVRTC_ERROR_PCH_CREATE = 15,
    NVRTC_ERROR_CANCELLED = 16,
    NVRTC_ERROR_TIME_TRACE_FILE_WRITE_FAILED = 17,
}
