using DePT.Backends.Cuda;
using DePT.Native;
using DePT.Tensors;

namespace DePT.Distributed;

/// <summary>
/// One rank's NCCL communicator, bound to the CUDA device of its backend: in-place all-reduce and broadcast of tensors,
/// queued on that device's stream like every other op (no host wait). Made for all ranks of this process at once
/// (<see cref="CreateAll"/>) or, across processes and hosts, by each rank joining with a shared id (<see cref="JoinRank"/>).
/// </summary>
/// <remarks>
/// NCCL_NVLS_ENABLE=0 is set in the process before the first NCCL call (NVLink multicast is never used: see the
/// binding). NCCL drives the CUDA runtime, which switches the calling thread's current device; every call here puts the
/// thread's context back afterwards, so <see cref="Devices.CudaDevice.MakeCurrent"/>'s record of it stays true.
/// </remarks>
public sealed unsafe class NcclCommunicator : IDisposable
{
    private ncclComm_t _comm;
    private bool _faulted;

    private NcclCommunicator(ncclComm_t comm, CudaBackend backend, int rank, int rankCount)
    {
        _comm = comm;
        Backend = backend;
        Rank = rank;
        RankCount = rankCount;
    }

    /// <summary>The backend whose device and stream this rank uses.</summary>
    public CudaBackend Backend { get; }

    /// <summary>This communicator's rank, from 0.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks.</summary>
    public int RankCount { get; }

    /// <summary>The NCCL library's version (2.28.3 for code 22803; before 2.9 the code was major·1000 + minor·100 + patch).</summary>
    /// <exception cref="DllNotFoundException">libnccl.so.2 was not found; the message lists where it was looked for.</exception>
    public static Version LibraryVersion()
    {
        NcclException.ThrowIfFailed(Nccl.ncclGetVersion(out int code));
        return code >= 10000 ? new Version(code / 10000, code / 100 % 100, code % 100) : new Version(code / 1000, code / 100 % 10, code % 100);
    }

    /// <summary>One communicator per backend, rank r on <paramref name="backends"/>[r] (ncclCommInitAll): every rank in this process, one device each.</summary>
    /// <exception cref="ArgumentException">No backend, or two on the same device.</exception>
    /// <exception cref="NcclException">NCCL could not set the ranks up.</exception>
    public static NcclCommunicator[] CreateAll(IReadOnlyList<CudaBackend> backends)
    {
        ArgumentNullException.ThrowIfNull(backends);
        if (backends.Count == 0) throw new ArgumentException("NCCL needs at least one rank.", nameof(backends));
        int[] devices = backends.Select(b => (b ?? throw new ArgumentNullException(nameof(backends))).CudaDevice.Ordinal).ToArray();
        if (devices.Distinct().Count() != devices.Length)
            throw new ArgumentException($"each rank needs a device of its own; got devices [{string.Join(", ", devices)}].", nameof(backends));
        var comms = new ncclComm_t[devices.Length];
        using (new ContextGuard())
        {
            fixed (ncclComm_t* pComms = comms)
            fixed (int* pDevices = devices)
                NcclException.ThrowIfFailed(Nccl.ncclCommInitAll(pComms, devices.Length, pDevices));
        }
        return [.. backends.Select((b, r) => new NcclCommunicator(comms[r], b, r, devices.Length))];
    }

    /// <summary>A new id for <see cref="JoinRank"/> (NCCL_UNIQUE_ID_BYTES = 128 bytes): made by rank 0 and sent to every other rank, e.g. over TCP.</summary>
    public static byte[] CreateUniqueId()
    {
        NcclException.ThrowIfFailed(Nccl.ncclGetUniqueId(out var id));
        return new ReadOnlySpan<byte>(id.Internal, ncclUniqueId.Bytes).ToArray();
    }

    /// <summary>Joins rank <paramref name="rank"/> of <paramref name="rankCount"/> on <paramref name="backend"/>'s device (ncclCommInitRank); blocks until every rank has joined.</summary>
    /// <exception cref="ArgumentException"><paramref name="uniqueId"/> is not the 128 bytes of <see cref="CreateUniqueId"/>.</exception>
    /// <exception cref="NcclException">NCCL could not join the rank.</exception>
    public static NcclCommunicator JoinRank(CudaBackend backend, ReadOnlySpan<byte> uniqueId, int rankCount, int rank)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (uniqueId.Length != ncclUniqueId.Bytes)
            throw new ArgumentException($"an NCCL unique id is {ncclUniqueId.Bytes} bytes; got {uniqueId.Length}.", nameof(uniqueId));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rankCount);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, rankCount);
        var id = default(ncclUniqueId);
        uniqueId.CopyTo(new Span<byte>(id.Internal, ncclUniqueId.Bytes));
        ncclComm_t comm;
        using (new ContextGuard(backend))   // ncclCommInitRank joins on the current device
            NcclException.ThrowIfFailed(Nccl.ncclCommInitRank(out comm, rankCount, id, rank));
        return new NcclCommunicator(comm, backend, rank, rankCount);
    }

    /// <summary>
    /// Collects the calls made until the scope is disposed into one NCCL group, launched together at its end: needed when
    /// one thread drives several ranks of a communicator (each rank's call would otherwise wait for the others).
    /// </summary>
    public static IDisposable Group() => new GroupScope();

    /// <summary>Every rank's <paramref name="tensor"/> becomes the sum over ranks; queued on this rank's stream.</summary>
    /// <exception cref="ArgumentException">The tensor is not on this rank's device, or its dtype is not F32, BF16 or I32.</exception>
    public void AllReduceSum(Tensor tensor)
    {
        var (pointer, type) = Describe(tensor);
        using var guard = new ContextGuard(Backend);
        Checked(Nccl.ncclAllReduce(pointer, pointer, (nuint)tensor.Length, type, ncclRedOp_t.ncclSum, Handle, Backend.CudaDevice.Stream));
    }

    /// <summary>Every rank's <paramref name="tensor"/> becomes rank <paramref name="root"/>'s; queued on this rank's stream.</summary>
    /// <exception cref="ArgumentException">As <see cref="AllReduceSum"/>.</exception>
    public void Broadcast(Tensor tensor, int root)
    {
        CollectiveChecks.CheckRoot(root, RankCount);
        var (pointer, type) = Describe(tensor);
        using var guard = new ContextGuard(Backend);
        Checked(Nccl.ncclBroadcast(pointer, pointer, (nuint)tensor.Length, type, root, Handle, Backend.CudaDevice.Stream));
    }

    /// <summary>Throws the error NCCL's background threads recorded for this communicator, if any (a lost peer, a network failure).</summary>
    public void ThrowIfAsyncError()
    {
        NcclException.ThrowIfFailed(Nccl.ncclCommGetAsyncError(Handle, out var asyncError));
        Checked(asyncError, "ncclCommGetAsyncError(comm) reported");
    }

    /// <summary>Frees the communicator: after pending work (ncclCommDestroy), or at once after an error (ncclCommAbort, which a destroy could wait on forever).</summary>
    public void Dispose()
    {
        if (_comm.IsNull) return;
        using (new ContextGuard())
            _ = _faulted ? Nccl.ncclCommAbort(_comm) : Nccl.ncclCommDestroy(_comm);
        _comm = default;
    }

    private ncclComm_t Handle => _comm.IsNull ? throw new ObjectDisposedException(nameof(NcclCommunicator)) : _comm;

    private void Checked(ncclResult_t result, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result == ncclResult_t.ncclSuccess) return;
        _faulted = true;
        throw NcclException.From(result, call);
    }

    private (CUdeviceptr Pointer, ncclDataType_t Type) Describe(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Storage is not DeviceStorage storage || storage.Owner != Backend.CudaDevice)
            throw new ArgumentException($"rank {Rank}: {tensor} is not on this rank's device {Backend.CudaDevice}.", nameof(tensor));
        var type = tensor.DType switch
        {
            DType.F32 => ncclDataType_t.ncclFloat32,
            DType.BF16 => ncclDataType_t.ncclBfloat16,
            DType.I32 => ncclDataType_t.ncclInt32,
            _ => throw new ArgumentException($"rank {Rank}: NCCL reduces f32, bf16 and i32 here; {tensor.ShapeText} is none of them.", nameof(tensor)),
        };
        return (storage.Pointer, type);
    }

    /// <summary>
    /// Saves the calling thread's CUDA context, optionally makes a rank's context current, and restores the saved one on
    /// dispose, whatever device NCCL left current. It bypasses <see cref="Devices.CudaDevice.MakeCurrent"/> on purpose:
    /// the thread's record of its context must keep naming the one that is current after the guard.
    /// </summary>
    private readonly struct ContextGuard : IDisposable
    {
        private readonly CUcontext _saved;

        public ContextGuard() => CudaException.ThrowIfFailed(CudaDriver.cuCtxGetCurrent(out _saved));

        public ContextGuard(CudaBackend rank) : this() => CudaException.ThrowIfFailed(CudaDriver.cuCtxSetCurrent(rank.CudaDevice.Context));

        public void Dispose() => CudaDriver.cuCtxSetCurrent(_saved);
    }

    private sealed class GroupScope : IDisposable
    {
        private readonly ContextGuard _guard = new();
        private bool _ended;

        public GroupScope() => NcclException.ThrowIfFailed(Nccl.ncclGroupStart());

        public void Dispose()
        {
            if (_ended) return;
            _ended = true;
            try
            {
                NcclException.ThrowIfFailed(Nccl.ncclGroupEnd());
            }
            finally
            {
                _guard.Dispose();
            }
        }
    }
}
