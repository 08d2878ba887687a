using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DePT.Native;

/// <summary>
/// An NCCL call returned an error, synchronously or (<see cref="Nccl.ncclCommGetAsyncError"/>) from its background
/// threads. The message names the call, the status and NCCL's text for it, e.g.
/// <c>ncclCommInitAll(comms, 2, devices) failed: ncclUnhandledCudaError (1): unhandled cuda error (run with NCCL_DEBUG=INFO for details)</c>.
/// </summary>
public sealed class NcclException : Exception
{
    /// <summary>Creates the exception for a failed call.</summary>
    /// <param name="call">The failing call as written, e.g. <c>ncclAllReduce(send, recv, count, ...)</c>.</param>
    /// <param name="status">The numeric ncclResult_t.</param>
    /// <param name="errorName">The status's C name, e.g. <c>ncclInvalidUsage</c>.</param>
    /// <param name="errorText">NCCL's description of the status, or null when NCCL was not loaded.</param>
    public NcclException(string call, int status, string errorName, string? errorText)
        : base($"{call} failed: {errorName} ({status})" + (string.IsNullOrEmpty(errorText) ? "" : $": {errorText}"))
    {
        Call = call;
        Status = status;
        ErrorName = errorName;
        ErrorText = errorText;
    }

    /// <summary>The failing call as written at the call site.</summary>
    public string Call { get; }

    /// <summary>The numeric ncclResult_t.</summary>
    public int Status { get; }

    /// <summary>The status's C name, e.g. <c>ncclSystemError</c>.</summary>
    public string ErrorName { get; }

    /// <summary>NCCL's description of the status (ncclGetErrorString), or null.</summary>
    public string? ErrorText { get; }

    /// <summary>Throws an <see cref="NcclException"/> naming <paramref name="call"/> unless <paramref name="r"/> is ncclSuccess.</summary>
    internal static void ThrowIfFailed(ncclResult_t r, [CallerArgumentExpression(nameof(r))] string call = "")
    {
        if (r != ncclResult_t.ncclSuccess)
        {
            Throw(r, call);
        }
    }

    /// <summary>The exception for a failed NCCL call; the text comes from NCCL when it is loaded.</summary>
    internal static unsafe NcclException From(ncclResult_t r, string call)
    {
        string? text = NativeLibraries.LoadedName(NativeLibraryKind.Nccl) is not null ? Marshal.PtrToStringUTF8((nint)Nccl.ncclGetErrorString(r)) : null;
        string name = Enum.IsDefined(r) ? r.ToString() : "unknown ncclResult_t";
        return new NcclException(CudaException.ShortCall(call), (int)r, name, text);
    }

    [DoesNotReturn, StackTraceHidden]
    private static void Throw(ncclResult_t r, string call) => throw From(r, call);
}
