using DePT.Devices;
using DePT.Kernels;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

/// <summary>
/// The CUDA backend: launches the project's kernels on the device's stream, allocates from its pool, and
/// never synchronises inside an op. Input errors found by kernels surface at <see cref="Synchronize"/>.
/// </summary>
public sealed partial class CudaBackend : IBackend
{
    // Geometry of the prompt-input kernels (prompt.cuh): 128 threads = 4 warps; a warp owns one sequence row,
    // a lane 8 columns, so a backward-reduce or delta block covers 4 rows × 256 columns.
    private const uint PromptBlock = 128;
    private const int PromptRowsPerBlock = 4;
    private const int PromptColumnsPerBlock = 256;

    // The forward's geometry, mirrored from prompt.cuh (kForwardRows, kForwardSplitTarget, kForwardPersistent): a
    // block is a tile of ForwardRowsPerBlock rows × 1024 / ForwardRowsPerBlock columns. Change them together with the
    // kernel's constants (the kernel lab prints both sets for the configuration it recommends).
    private const int ForwardRowsPerBlock = 4;
    private const int ForwardSplitTarget = 3;
    private static readonly int ForwardPersistentBlocksPerSM = 0;   // 0: tiled grid; readonly, not const, so the unused branch compiles without a warning
    private readonly bool _ownsDevice;

    /// <summary>Runs on an already opened device (not disposed with the backend).</summary>
    public CudaBackend(CudaDevice device)
    {
        CudaDevice = device ?? throw new ArgumentNullException(nameof(device));
    }

    private CudaBackend(CudaDevice device, bool ownsDevice) : this(device) => _ownsDevice = ownsDevice;

    /// <summary>The device, its pool and its kernels.</summary>
    public CudaDevice CudaDevice { get; }

    /// <inheritdoc />
    public Device Device => Device.Cuda(CudaDevice.Ordinal);

    /// <summary>Opens CUDA device <paramref name="ordinal"/> and owns it.</summary>
    public static CudaBackend Open(int ordinal = 0) => new(CudaDevice.Open(ordinal), ownsDevice: true);

    /// <inheritdoc />
    public Tensor Allocate(DType dtype, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long bytes = Tensor.ElementCount(shape) * dtype.SizeInBytes();
        return new Tensor(new DeviceStorage(CudaDevice, bytes), dtype, (int[])shape.Clone());
    }

    /// <inheritdoc />
    public void Synchronize() => CudaDevice.Synchronize();

    /// <inheritdoc />
    public void PromptInputForward(Tensor output, Tensor tokenIds, Tensor embeddings, PromptParameters prompts, Tensor? promptIndex, float embeddingScale, Tensor? rowOffset = null)
    {
        var s = PromptInputShape.ForForward(nameof(PromptInputForward), Device, output, tokenIds, embeddings, prompts, promptIndex, rowOffset);
        var args = new PromptInputForwardArgs
        {
            Out = Ptr(output), Ids = Ptr(tokenIds), Emb = Ptr(embeddings), Prompt = Ptr(prompts.Prompt),
            LowRankA = Ptr(prompts.LowRankA), LowRankB = Ptr(prompts.LowRankB), Delta = Ptr(prompts.Delta),
            PromptIndex = Ptr(promptIndex), RowOffset = Ptr(rowOffset), ErrorFlag = CudaDevice.ErrorWord.Address,
            Batch = s.Batch, SeqLen = s.SeqLen, PromptLen = s.PromptLen, Dim = s.Dim, Rank = s.Rank,
            MaxLen = s.MaxLen, Vocab = s.Vocab, NumPrompts = s.NumPrompts,
            EmbScale = embeddingScale, LowRankScale = prompts.LowRankScale,
        };
        string name = $"prompt_input_forward_{Suffix(output.DType)}out_{Suffix(embeddings.DType)}emb";
        CudaDevice.Kernels.Launch(name, ForwardShape(s), args);
    }

    /// <inheritdoc />
    public void PromptInputBackward(PromptGradients gradients, Tensor dInput, PromptParameters prompts, Tensor? promptIndex, Tensor? rowOffset = null)
    {
        var s = PromptInputShape.ForBackward(nameof(PromptInputBackward), Device, gradients, dInput, prompts, promptIndex, rowOffset);
        using var workspace = Allocate(DType.F32, s.NumPrompts, s.SeqLen, s.Dim);
        var args = new PromptInputBackwardArgs
        {
            DPrompt = Ptr(gradients.DPrompt), DLowRankA = Ptr(gradients.DLowRankA), DLowRankB = Ptr(gradients.DLowRankB),
            Workspace = Ptr(workspace), DInput = Ptr(dInput), LowRankA = Ptr(prompts.LowRankA), LowRankB = Ptr(prompts.LowRankB),
            PromptIndex = Ptr(promptIndex), RowOffset = Ptr(rowOffset), ErrorFlag = CudaDevice.ErrorWord.Address,
            Batch = s.Batch, SeqLen = s.SeqLen, PromptLen = s.PromptLen, Dim = s.Dim, Rank = s.Rank,
            MaxLen = s.MaxLen, NumPrompts = s.NumPrompts, LowRankScale = prompts.LowRankScale,
        };
        var kernels = CudaDevice.Kernels;
        kernels.Launch($"prompt_input_backward_reduce_{Suffix(dInput.DType)}",
            new LaunchShape(LaunchShape.Blocks(s.Dim, PromptColumnsPerBlock), LaunchShape.Blocks(s.TotalLen, PromptRowsPerBlock), 1, PromptBlock), args);
        if (s.Rank == 0) return;
        kernels.Launch("prompt_input_backward_lowrank_a",
            new LaunchShape(LaunchShape.Blocks(s.SeqLen, 4), LaunchShape.Blocks(s.Rank, 8), (uint)s.NumPrompts, PromptBlock), args);
        kernels.Launch("prompt_input_backward_lowrank_b",
            new LaunchShape(LaunchShape.Blocks(s.Dim, 128), LaunchShape.Blocks(s.Rank, 8), (uint)s.NumPrompts, PromptBlock), args);
        // The workspace goes back to the pool now; work queued later on this stream runs after these kernels.
    }

    /// <inheritdoc />
    public void LowRankDelta(Tensor delta, Tensor lowRankA, Tensor lowRankB, float lowRankScale)
    {
        PromptInputShape.ForDelta(nameof(LowRankDelta), Device, delta, lowRankA, lowRankB);
        var args = new LowRankDeltaArgs
        {
            Delta = Ptr(delta), LowRankA = Ptr(lowRankA), LowRankB = Ptr(lowRankB),
            NumPrompts = lowRankA.Dim(0), MaxLen = lowRankA.Dim(1), Rank = lowRankA.Dim(2), Dim = lowRankB.Dim(2),
            LowRankScale = lowRankScale,
        };
        if (args.Rank == 0) return;
        CudaDevice.Kernels.Launch("prompt_lowrank_delta",
            new LaunchShape(LaunchShape.Blocks(args.Dim, PromptColumnsPerBlock), LaunchShape.Blocks(args.MaxLen, PromptRowsPerBlock),
                (uint)args.NumPrompts, PromptBlock), args);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsDevice) CudaDevice.Dispose();
    }

    /// <summary>
    /// The forward's grid (prompt.cuh, "Forward geometry"). Tiled: (column tiles, row tiles, batchSplit), with
    /// batchSplit = ceil(ForwardSplitTarget · SMs / tiles) clamped to [1, B]: enough blocks to fill every
    /// multiprocessor, each slice keeping as many examples as possible to amortise its low-rank rows. Persistent:
    /// ForwardPersistentBlocksPerSM · SMs blocks (at most one per (tile, example)) that share out the work.
    /// </summary>
    private LaunchShape ForwardShape(PromptInputShape s)
    {
        uint columnTiles = LaunchShape.Blocks(s.Dim, 1024 / ForwardRowsPerBlock);
        uint rowTiles = LaunchShape.Blocks(s.TotalLen, ForwardRowsPerBlock);
        long tiles = (long)columnTiles * rowTiles;
        int multiprocessors = CudaDevice.MultiprocessorCount;
        if (ForwardPersistentBlocksPerSM > 0)
            return new LaunchShape((uint)Math.Min((long)ForwardPersistentBlocksPerSM * multiprocessors, tiles * s.Batch), 1, 1, PromptBlock);
        long wanted = (long)ForwardSplitTarget * multiprocessors;
        return new LaunchShape(columnTiles, rowTiles, (uint)Math.Clamp((wanted + tiles - 1) / tiles, 1, s.Batch), PromptBlock);
    }

    private static string Suffix(DType dtype) => dtype == DType.BF16 ? "bf16" : "f32";

    private static ulong Ptr(Tensor? tensor) => tensor is null ? 0UL : ((DeviceStorage)tensor.Storage).Pointer.Address;
}
