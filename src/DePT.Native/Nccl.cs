using System.Runtime.InteropServices;

namespace DePT.Native;

/// <summary>
/// NCCL 2 (libnccl.so.2) as nccl.h declares it: exact C names, no policy. Buffers are device addresses
/// (<see cref="CUdeviceptr"/> where C takes <c>void*</c>), streams are driver streams (cudaStream_t is CUstream).
/// </summary>
/// <remarks>
/// The static constructor runs before any of these calls, so NVLink SHARP (NVLS) is off before NCCL reads its
/// environment: see <see cref="NcclEnvironment"/>. Nothing here binds cuMulticastCreate either, and nothing may.
/// </remarks>
internal static unsafe partial class Nccl
{
    static Nccl() => NcclEnvironment.DisableNvlinkMulticast();

    /// <summary>The version as major * 10000 + minor * 100 + patch (22803 for 2.28.3).</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    internal static partial ncclResult_t ncclGetVersion(out int version);

    /// <summary>A new unique id for <see cref="ncclCommInitRank"/>; made by one rank and shared with the others out of band.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    internal static partial ncclResult_t ncclGetUniqueId(out ncclUniqueId uniqueId);

    /// <summary>Joins rank <paramref name="rank"/> of <paramref name="nranks"/> to the communicator of <paramref name="commId"/> (passed by value) on the current CUDA device.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    internal static partial ncclResult_t ncclCommInitRank(out ncclComm_t comm, int nranks, ncclUniqueId commId, int rank);

    /// <summary>One communicator per device of <paramref name="devlist"/> (ordinals), all in one process; <paramref name="comm"/> holds <paramref name="ndev"/> handles.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    internal static partial ncclResult_t ncclCommInitAll(ncclComm_t* comm, int ndev, int* devlist);

    /// <summary>Waits for the communicator's pending work, then frees it.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    internal static partial ncclResult_t ncclCommDestroy(ncclComm_t comm);

    /// <summary>Frees the communicator without waiting, cancelling what is in flight (after an error).</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    internal static partial ncclResult_t ncclCommAbort(ncclComm_t comm);

    /// <summary>An error raised asynchronously by the communicator's network or proxy threads (ncclSuccess when none).</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    internal static partial ncclResult_t ncclCommGetAsyncError(ncclComm_t comm, out ncclResult_t asyncError);

    /// <summary>recvbuff = the reduction of every rank's sendbuff (the two may be the same buffer), queued on <paramref name="stream"/>.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    internal static partial ncclResult_t ncclAllReduce(CUdeviceptr sendbuff, CUdeviceptr recvbuff, nuint count, ncclDataType_t datatype, ncclRedOp_t op,
        ncclComm_t comm, CUstream stream);

    /// <summary>recvbuff on every rank = sendbuff of rank <paramref name="root"/> (only the root's sendbuff is read), queued on <paramref name="stream"/>.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    internal static partial ncclResult_t ncclBroadcast(CUdeviceptr sendbuff, CUdeviceptr recvbuff, nuint count, ncclDataType_t datatype, int root,
        ncclComm_t comm, CUstream stream);

    /// <summary>Starts a group: the collectives that follow are launched together at <see cref="ncclGroupEnd"/> (required when one thread drives several ranks).</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    internal static partial ncclResult_t ncclGroupStart();

    /// <summary>Ends a group and launches its collectives.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    internal static partial ncclResult_t ncclGroupEnd();

    /// <summary>A static, NCCL-owned description of <paramref name="result"/>: read it, never free it.</summary>
    [LibraryImport(NativeLibraries.Nccl)]
    internal static partial byte* ncclGetErrorString(ncclResult_t result);
}

/// <summary><c>ncclComm_t</c>: an opaque pointer.</summary>
internal readonly record struct ncclComm_t(nint Handle)
{
    public bool IsNull => Handle == 0;
}

/// <summary><c>ncclUniqueId</c>: 128 opaque bytes (NCCL_UNIQUE_ID_BYTES), passed by value to <see cref="Nccl.ncclCommInitRank"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ncclUniqueId
{
    public const int Bytes = 128;

    public fixed byte Internal[Bytes];
}

/// <summary><c>ncclResult_t</c>: every value of nccl.h.</summary>
internal enum ncclResult_t
{
    ncclSuccess = 0,
    ncclUnhandledCudaError = 1,
    ncclSystemError = 2,
    ncclInternalError = 3,
    ncclInvalidArgument = 4,
    ncclInvalidUsage = 5,
    ncclRemoteError = 6,
    ncclInProgress = 7,
}

/// <summary><c>ncclDataType_t</c>: the types this project reduces.</summary>
internal enum ncclDataType_t
{
    ncclInt32 = 2,
    ncclFloat32 = 7,
    ncclBfloat16 = 9,
}

/// <summary><c>ncclRedOp_t</c>: the built-in reductions.</summary>
internal enum ncclRedOp_t
{
    ncclSum = 0,
    ncclProd = 1,
    ncclMax = 2,
    ncclMin = 3,
    ncclAvg = 4,
}
