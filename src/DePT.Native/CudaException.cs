using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace DePT.Native;

/// <summary>
/// A CUDA driver, cuBLAS or NVRTC call returned an error. The message names the call, the numeric status,
/// the library's name for it and its text, e.g.
/// <c>cuMemAlloc_v2(out ptr, 1073741824) failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory</c>,
/// followed by the compiler or JIT log when there is one.
/// </summary>
public sealed partial class CudaException : Exception
{
    /// <summary>The value of <see cref="Library"/> for errors of the CUDA driver API (libcuda).</summary>
    public const string CudaDriverLibrary = "CUDA driver";

    /// <summary>The value of <see cref="Library"/> for errors of cuBLAS.</summary>
    public const string CublasLibrary = "cuBLAS";

    /// <summary>The value of <see cref="Library"/> for errors of NVRTC.</summary>
    public const string NvrtcLibrary = "NVRTC";

    /// <summary>Creates the exception for a failed call.</summary>
    /// <param name="library">The library that failed: <see cref="CudaDriverLibrary"/>, <see cref="CublasLibrary"/> or <see cref="NvrtcLibrary"/>.</param>
    /// <param name="call">The failing call as written, e.g. <c>cuMemAlloc_v2(out ptr, bytes)</c>.</param>
    /// <param name="status">The numeric status the call returned.</param>
    /// <param name="errorName">The status's C name, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</param>
    /// <param name="errorText">The library's description of the status, or null when none is available.</param>
    /// <param name="log">An NVRTC or JIT log to append to the message, or null.</param>
    public CudaException(string library, string call, int status, string errorName, string? errorText, string? log = null)
        : base(FormatMessage(call, status, errorName, errorText, TrimLog(log)))
    {
        Library = library;
        Call = call;
        Status = status;
        ErrorName = errorName;
        ErrorText = errorText;
        Log = TrimLog(log);
    }

    /// <summary>The library that failed: <see cref="CudaDriverLibrary"/>, <see cref="CublasLibrary"/> or <see cref="NvrtcLibrary"/>.</summary>
    public string Library { get; }

    /// <summary>The failing call as written at the call site.</summary>
    public string Call { get; }

    /// <summary>The numeric status (CUresult, cublasStatus_t or nvrtcResult).</summary>
    public int Status { get; }

    /// <summary>The status's C name, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string ErrorName { get; }

    /// <summary>The library's description of the status, or null when none was available.</summary>
    public string? ErrorText { get; }

    /// <summary>The NVRTC or JIT log that came with the failure, or null.</summary>
    public string? Log { get; }

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="r"/> is CUDA_SUCCESS.</summary>
    internal static void ThrowIfFailed(CUresult r, string? log = null, [CallerArgumentExpression(nameof(r))] string call = "")
    {
        if (r != CUresult.CUDA_SUCCESS)
        {
            ThrowDriver(r, call, log);
        }
    }

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="s"/> is CUBLAS_STATUS_SUCCESS.</summary>
    internal static void ThrowIfFailed(cublasStatus_t s, string? log = null, [CallerArgumentExpression(nameof(s))] string call = "")
    {
        if (s != cublasStatus_t.CUBLAS_STATUS_SUCCESS)
        {
            ThrowCublas(s, call, log);
        }
    }

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="r"/> is NVRTC_SUCCESS.</summary>
    internal static void ThrowIfFailed(nvrtcResult r, string? log = null, [CallerArgumentExpression(nameof(r))] string call = "")
    {
        if (r != nvrtcResult.NVRTC_SUCCESS)
        {
            ThrowNvrtc(r, call, log);
        }
    }

    /// <summary>The exception for a failed driver call; names and text come from the driver when it is loaded.</summary>
    internal static unsafe CudaException FromDriver(CUresult r, string call, string? log = null)
    {
        string? name = null, text = null;
        if (NativeLibraries.LoadedName(NativeLibraryKind.Cuda) is not null)
        {
            byte* p;
            if (CudaDriver.cuGetErrorName(r, out p) == CUresult.CUDA_SUCCESS)
            {
                name = Utf8(p);
            }

            if (CudaDriver.cuGetErrorString(r, out p) == CUresult.CUDA_SUCCESS)
            {
                text = Utf8(p);
            }
        }

        return new CudaException(CudaDriverLibrary, ShortCall(call), (int)r, name ?? EnumName(r), text, log);
    }

    /// <summary>The exception for a failed cuBLAS call; names and text come from cuBLAS when it is loaded.</summary>
    internal static unsafe CudaException FromCublas(cublasStatus_t s, string call, string? log = null)
    {
        var loaded = NativeLibraries.LoadedName(NativeLibraryKind.Cublas) is not null;
        var name = loaded ? Utf8(CuBlas.cublasGetStatusName(s)) : null;
        var text = loaded ? Utf8(CuBlas.cublasGetStatusString(s)) : null;
        return new CudaException(CublasLibrary, ShortCall(call), (int)s, name ?? EnumName(s), text, log);
    }

    /// <summary>The exception for a failed NVRTC call; the text comes from NVRTC when it is loaded.</summary>
    internal static unsafe CudaException FromNvrtc(nvrtcResult r, string call, string? log = null)
    {
        var text = NativeLibraries.LoadedName(NativeLibraryKind.Nvrtc) is not null ? Utf8(Nvrtc.nvrtcGetErrorString(r)) : null;
        return new CudaException(NvrtcLibrary, ShortCall(call), (int)r, EnumName(r), text, log);
    }

    [DoesNotReturn, StackTraceHidden]
    private static void ThrowDriver(CUresult r, string call, string? log) => throw FromDriver(r, call, log);

    [DoesNotReturn, StackTraceHidden]
    private static void ThrowCublas(cublasStatus_t s, string call, string? log) => throw FromCublas(s, call, log);

    [DoesNotReturn, StackTraceHidden]
    private static void ThrowNvrtc(nvrtcResult r, string call, string? log) => throw FromNvrtc(r, call, log);

    private static string FormatMessage(string call, int status, string errorName, string? errorText, string? log)
    {
        var message = $"{call} failed: {errorName} ({status})";
        if (!string.IsNullOrEmpty(errorText))
        {
            message += $": {errorText}";
        }

        return log is null ? message : $"{message}{Environment.NewLine}{log}";
    }

    // Logs come from fixed-size C buffers: drop the NUL padding and trailing blank lines; an empty log is none.
    private static string? TrimLog(string? log)
    {
        var trimmed = log?.TrimEnd('\0', ' ', '\t', '\r', '\n');
        return string.IsNullOrEmpty(trimmed) ? null : trimmed;
    }

    /// <summary>
    /// The call expression as the message shows it: whitespace runs of a multi-line call collapsed and the
    /// binding class dropped (<c>CudaDriver.cuMemAlloc_v2(out p, n)</c> → <c>cuMemAlloc_v2(out p, n)</c>).
    /// </summary>
    internal static string ShortCall(string call)
    {
        var compact = Whitespace().Replace(call.Trim(), " ").Replace("( ", "(").Replace(" )", ")");
        var open = compact.IndexOf('(');
        var dot = open < 0 ? -1 : compact.LastIndexOf('.', open);
        var shortCall = dot < 0 ? compact : compact[(dot + 1)..];
        return shortCall.Length == 0 ? "(unnamed call)" : shortCall;
    }

    private static string EnumName<TEnum>(TEnum value) where TEnum : struct, Enum =>
        Enum.IsDefined(value) ? value.ToString() : $"unknown {typeof(TEnum).Name}";

    private static unsafe string? Utf8(byte* p) => p is null ? null : Marshal.PtrToStringUTF8((nint)p);

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
