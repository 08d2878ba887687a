using DePT.Kernels;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

// Attention, two paths (src/DePT.Kernels/attention.cuh):
// - fused: attention_flash_forward/backward_{bf16,f32}_{32,64,128}, flash-attention tiles with the T5 bias computed in
//   the kernel; saves the row log-sum-exps and the output, never a (Tq, Tk) matrix; grouped-query attention by index
//   (query head h reads key/value head h / group; a backward block owns a key/value head's key tile and loops over the
//   group's query heads, so dK and dV sum the group in registers);
// - unfused (the reference): head permutes, cuBLAS strided-batched GEMMs and the masked softmax; saves the
//   probabilities. A T5 table is materialised into a (H, Tq, Tk) bias for it. Grouped-query attention needs no kernel
//   of its own here: query heads are laid out (B, H, Tq, dh) = (B, Hkv, group·Tq, dh), so each key/value head meets its
//   group's stacked queries in one GEMM of group·Tq rows, batched over B·Hkv; dK and dV then sum over the group by themselves.
// - within the fused path, bf16 multi-head attention with dh = 64 runs attention_flash5_{forward,backward}_bf16_64
//   (attention_fast.cuh: ldmatrix, cp.async double buffers, 8 warps, the T5 bias window per block in dynamic shared
//   memory) while its window fits the device's per-block limit; everything else runs attention_flash_* (attention.cuh).
// AttentionPath picks the forward's path; the backward follows the state the forward returned.
public sealed partial class CudaBackend
{
    private const uint SoftmaxThreads = 128;   // one warp per row of scores
    private const int SoftmaxRowsPerBlock = (int)SoftmaxThreads / 32;

    // Tile geometry of the fused kernels, mirrored from AttnFlashConfig in attention.cuh.
    private const int FlashForwardRows = 64;
    private const uint FlashForwardThreads = 128;
    private const int FlashDeltaRowsPerBlock = (int)FlatThreads / 32;

    // attention_fast.cuh: 8 warps, forward blocks of 128 query rows over 64-key tiles, backward blocks of 128 keys over
    // 64-query tiles; the dynamic shared memory below mirrors the header's formulas
    private const int Flash5Rows = 128;
    private const uint Flash5Threads = 256;
    private const string Flash5Forward = "attention_flash5_forward_bf16_64";
    private const string Flash5Backward = "attention_flash5_backward_bf16_64";

    // Q tile, 2 K and 2 V tiles (bf16, 64 columns), then the bias window (keyPad + 128 − 1, padded) and the key row (fp32)
    internal static long Flash5ForwardSharedBytes(int keyLen)
    {
        long keyPad = (keyLen + 63L) / 64 * 64;
        return (Flash5Rows * 64L + 4 * 64 * 64) * 2 + (2 * keyPad + Flash5Rows) * 4;
    }

    // K, V, scale·dSᵀ (128 rows each), 2 Q and 2 dO tiles (bf16), then the bias window (queryPad + 128 − 1), lse and delta (fp32)
    internal static long Flash5BackwardSharedBytes(int queryLen)
    {
        long queryPad = (queryLen + 63L) / 64 * 64;
        return (3 * Flash5Rows * 64L + 4 * 64 * 64) * 2 + (queryPad + Flash5Rows + 4 * 64) * 4;
    }

    /// <summary>The fused forward kernel the last fused <see cref="Attention"/> launched (tests check the routing).</summary>
    internal string? LastFusedForwardKernel { get; private set; }

    /// <summary>The fused backward kernel the last fused <see cref="AttentionBackward"/> launched.</summary>
    internal string? LastFusedBackwardKernel { get; private set; }

    // bf16, dh 64, multi-head: the shape attention_fast.cuh takes (its bias window still has to fit, checked per launch)
    private static bool Flash5Shape(OpChecks.AttentionSizes s, DType dtype) => dtype == DType.BF16 && s.HeadDim == 64 && s.KeyValueHeads == s.Heads;

    // kBwdWarps: the backward's block is that many warps of 16 keys each (one warp for the fp32 check path)
    private static int FlashBackwardWarps(DType dtype) => dtype == DType.BF16 ? 4 : 1;

    /// <summary>Which attention kernels <see cref="Attention"/> runs; <see cref="Backends.AttentionPath.Auto"/> by default.</summary>
    public AttentionPath AttentionPath { get; set; } = AttentionPath.Auto;

    /// <inheritdoc />
    public AttentionState Attention(Tensor output, Tensor query, Tensor key, Tensor value, Tensor? keyMask, PositionBias? positionBias, AttentionOptions options)
    {
        var s = OpChecks.Attention(nameof(Attention), Device, output, query, key, value, keyMask, positionBias, options);
        if (s.Batch == 0 || s.QueryLen == 0) return UnfusedAttention(output, query, key, value, keyMask, positionBias, options, s);   // nothing to compute
        string? unfit = FusedUnfit(s, output, query, key, value);
        if (AttentionPath == AttentionPath.Fused && unfit is not null)
            throw new NotSupportedException($"{nameof(Attention)}: the fused kernels do not take this call ({unfit}); query {query.ShapeText}, key {key.ShapeText}.");
        bool fused = AttentionPath == AttentionPath.Fused || (AttentionPath == AttentionPath.Auto && unfit is null && query.DType == DType.BF16);
        return fused
            ? FusedAttention(output, query, key, value, keyMask, positionBias, options, s)
            : UnfusedAttention(output, query, key, value, keyMask, positionBias, options, s);
    }

    /// <inheritdoc />
    public void AttentionBackward(Tensor dQuery, Tensor dKey, Tensor dValue, Tensor dOutput, Tensor query, Tensor key, Tensor value, AttentionState state)
    {
        var s = OpChecks.AttentionBackward(nameof(AttentionBackward), Device, dQuery, dKey, dValue, dOutput, query, key, value, state);
        if (state.IsFused) FusedAttentionBackward(dQuery, dKey, dValue, dOutput, query, key, value, state, s);
        else UnfusedAttentionBackward(dQuery, dKey, dValue, dOutput, query, key, value, state, s);
    }

    // Why the fused kernels cannot run this call, or null when they can.
    private static string? FusedUnfit(OpChecks.AttentionSizes s, Tensor output, Tensor query, Tensor key, Tensor value)
    {
        if (s.HeadDim is not (32 or 64 or 128)) return $"head dim {s.HeadDim}, not 32, 64 or 128";
        if (key.DType != query.DType || value.DType != query.DType || output.DType != query.DType)
            return "query, key, value and output differ in dtype";
        if (s.Batch > 65535 || s.Heads > 65535) return "more than 65535 examples or heads";
        if (!Aligned16(query) || !Aligned16(key) || !Aligned16(value) || !Aligned16(output)) return "a tensor not 16-byte aligned";
        return null;
    }

    private static bool Aligned16(Tensor t) => Ptr(t) % 16 == 0;

    private static string FlashSuffix(DType dtype, int headDim) => $"{(dtype == DType.BF16 ? "bf16" : "f32")}_{headDim}";

    // The fused kernels' arguments common to the forward and the backward.
    private static AttentionFlashArgs FlashArgs(OpChecks.AttentionSizes s, Tensor query, Tensor key, Tensor value, Tensor? keyMask, PositionBias? positionBias, AttentionOptions options)
    {
        var args = new AttentionFlashArgs
        {
            Q = Ptr(query), K = Ptr(key), V = Ptr(value), KeyMask = Ptr(keyMask), Bias = Ptr(positionBias?.Dense),
            Batch = s.Batch, Heads = s.Heads, KeyValueHeads = s.KeyValueHeads, QueryLen = s.QueryLen, KeyLen = s.KeyLen, Capacity = s.Capacity,
            MaskStride = s.MaskStride, BiasStride = s.BiasStride, Causal = options.Causal ? 1 : 0, QueryOffset = options.QueryOffset,
            Scale = options.Scale,
        };
        if (positionBias?.Table is { } table)
        {
            int buckets = table.Dim(0);
            int maxExact = (positionBias.Bidirectional ? buckets / 2 : buckets) / 2;   // as RelativePositionBias
            args.BiasTable = Ptr(table);
            args.Buckets = buckets;
            args.Bidirectional = positionBias.Bidirectional ? 1 : 0;
            args.TableBf16 = Bf16(table, 0);
            args.LogRatio = (float)Math.Log((double)positionBias.MaxDistance / maxExact);
        }
        return args;
    }

    private AttentionState FusedAttention(Tensor output, Tensor query, Tensor key, Tensor value, Tensor? keyMask, PositionBias? positionBias, AttentionOptions options, OpChecks.AttentionSizes s)
    {
        var lse = Allocate(DType.F32, s.Batch, s.Heads, s.QueryLen);
        Tensor? saved = null;
        try
        {
            var args = FlashArgs(s, query, key, value, keyMask, positionBias, options);
            args.Out = Ptr(output);
            args.Lse = Ptr(lse);
            var kernels = CudaDevice.Kernels;
            long shared = Flash5ForwardSharedBytes(s.KeyLen);
            if (Flash5Shape(s, query.DType) && shared <= kernels.SharedMemoryPerBlockOptIn)
            {
                kernels.EnsureDynamicSharedMemory(Flash5Forward, (int)shared);
                var grid = new LaunchShape(LaunchShape.Blocks(s.QueryLen, Flash5Rows), (uint)s.Heads, (uint)s.Batch, Flash5Threads, (uint)shared);
                kernels.Launch(Flash5Forward, grid, args);
                LastFusedForwardKernel = Flash5Forward;
            }
            else
            {
                string name = $"attention_flash_forward_{FlashSuffix(query.DType, s.HeadDim)}";
                var grid = new LaunchShape(LaunchShape.Blocks(s.QueryLen, FlashForwardRows), (uint)s.Heads, (uint)s.Batch, FlashForwardThreads);
                kernels.Launch(name, grid, args);
                LastFusedForwardKernel = name;
            }
            saved = Converted(output, output.DType);   // the backward's delta = rowsum(dO ⊙ O) reads it; the caller may reuse output
        }
        catch
        {
            lse.Dispose();
            throw;
        }
        return AttentionState.Fused(lse, saved, options, s.KeyLen, keyMask, positionBias);
    }

    private void FusedAttentionBackward(Tensor dQuery, Tensor dKey, Tensor dValue, Tensor dOutput, Tensor query, Tensor key, Tensor value, AttentionState state, OpChecks.AttentionSizes s)
    {
        var dtype = query.DType;
        // the kernels read dO (16-byte aligned) and write dK, dV in the forward's dtype, and sum dQ in fp32
        using var dOut = dOutput.DType == dtype && Aligned16(dOutput) ? null : Converted(dOutput, dtype);
        using var dqAccum = dQuery.DType == DType.F32 ? null : Allocate(DType.F32, dQuery.Shape.ToArray());
        using var dk = dKey.DType == dtype ? null : Allocate(dtype, dKey.Shape.ToArray());
        using var dv = dValue.DType == dtype ? null : Allocate(dtype, dValue.Shape.ToArray());
        using var delta = Allocate(DType.F32, s.Batch, s.Heads, s.QueryLen);
        var dO = dOut ?? dOutput;
        var output = state.Output!;

        long rows = (long)s.Batch * s.QueryLen * s.Heads;
        var deltaArgs = new AttentionFlashDeltaArgs
        {
            Delta = Ptr(delta), Dout = Ptr(dO), Out = Ptr(output), Batch = s.Batch, Heads = s.Heads, QueryLen = s.QueryLen, HeadDim = s.HeadDim,
            Bf16 = Bf16(dO, 1) | Bf16(output, 2),
        };
        CudaDevice.Kernels.Launch("attention_flash_delta", new LaunchShape(LaunchShape.Blocks(rows, FlashDeltaRowsPerBlock), 1, 1, FlatThreads), deltaArgs);

        var dq = dqAccum ?? dQuery;
        Fill(dq, 0f);
        var args = FlashArgs(s, query, key, value, state.KeyMask, state.PositionBias, state.Options);
        args.Lse = Ptr(state.LogSumExp);
        args.Dout = Ptr(dO);
        args.Delta = Ptr(delta);
        args.DqAccum = Ptr(dq);
        args.Dk = Ptr(dk ?? dKey);
        args.Dv = Ptr(dv ?? dValue);
        var kernels = CudaDevice.Kernels;
        long shared = Flash5BackwardSharedBytes(s.QueryLen);
        if (Flash5Shape(s, dtype) && shared <= kernels.SharedMemoryPerBlockOptIn)
        {
            // one block per (128 keys, head, example); rows Tk..Tcap−1 of dK, dV written as zeros
            kernels.EnsureDynamicSharedMemory(Flash5Backward, (int)shared);
            var grid = new LaunchShape(LaunchShape.Blocks(s.Capacity, Flash5Rows), (uint)s.Heads, (uint)s.Batch, Flash5Threads, (uint)shared);
            kernels.Launch(Flash5Backward, grid, args);
            LastFusedBackwardKernel = Flash5Backward;
        }
        else
        {
            int warps = FlashBackwardWarps(dtype);
            string name = $"attention_flash_backward_{FlashSuffix(dtype, s.HeadDim)}";
            // one block per (key tile, key/value head, example): it sums dK, dV over the head's group of query heads
            var grid = new LaunchShape(LaunchShape.Blocks(s.Capacity, 16 * warps), (uint)s.KeyValueHeads, (uint)s.Batch, (uint)(32 * warps));
            kernels.Launch(name, grid, args);
            LastFusedBackwardKernel = name;
        }

        if (dqAccum is not null) Copy(dQuery, dqAccum);
        if (dk is not null) Copy(dKey, dk);
        if (dv is not null) Copy(dValue, dv);
    }

    private AttentionState UnfusedAttention(Tensor output, Tensor query, Tensor key, Tensor value, Tensor? keyMask, PositionBias? positionBias, AttentionOptions options, OpChecks.AttentionSizes s)
    {
        if (s.Batch == 0 || s.QueryLen == 0)   // nothing to attend from: no GEMM of an empty batch or zero rows
            return AttentionState.Unfused(Allocate(DType.F32, s.Batch, s.Heads, s.QueryLen, s.KeyLen), options, s.KeyLen, keyMask, positionBias);
        // a T5 table becomes the dense (H, Tq, Tk) bias the softmax reads
        using var relative = positionBias?.Table is { } table ? Allocate(DType.F32, s.Heads, s.QueryLen, s.KeyLen) : null;
        if (relative is not null)
        {
            RelativePositionBias(relative, positionBias!.Table!, options.QueryOffset, positionBias.Bidirectional, positionBias.MaxDistance);
            s = s with { BiasStride = s.KeyLen };
        }
        var bias = relative ?? positionBias?.Dense;
        var compute = AttentionComputeType(query, key, value);
        using var qh = Allocate(compute, s.Batch, s.Heads, s.QueryLen, s.HeadDim);
        using var kh = Allocate(compute, s.Batch, s.KeyValueHeads, s.KeyLen, s.HeadDim);
        using var vh = Allocate(compute, s.Batch, s.KeyValueHeads, s.KeyLen, s.HeadDim);
        PermuteIn(qh, query, s, s.Heads, s.QueryLen, s.QueryLen);
        PermuteIn(kh, key, s, s.KeyValueHeads, s.KeyLen, s.Capacity);
        PermuteIn(vh, value, s, s.KeyValueHeads, s.KeyLen, s.Capacity);

        var probs = Allocate(DType.F32, s.Batch, s.Heads, s.QueryLen, s.KeyLen);
        try
        {
            var blas = CudaDevice.Blas;
            int rows = s.Group * s.QueryLen, batchCount = s.KeyValueHeads * s.Batch;
            long qStride = (long)rows * s.HeadDim, kStride = (long)s.KeyLen * s.HeadDim, pStride = (long)rows * s.KeyLen;
            // scores (group·Tq × Tk) = scale · Qh (group·Tq × dh) · Khᵀ, per key/value head
            blas.GemmStridedBatched(false, true, rows, s.KeyLen, s.HeadDim, options.Scale,
                DevicePointer(qh), compute, s.HeadDim, qStride, DevicePointer(kh), compute, s.HeadDim, kStride,
                0f, DevicePointer(probs), DType.F32, s.KeyLen, pStride, batchCount);

            using var probsLow = compute == DType.BF16 ? Allocate(DType.BF16, s.Batch, s.Heads, s.QueryLen, s.KeyLen) : null;
            var softmax = new AttentionSoftmaxArgs
            {
                Probs = Ptr(probs), ProbsLow = Ptr(probsLow), Bias = Ptr(bias), KeyMask = Ptr(keyMask),
                Batch = s.Batch, Heads = s.Heads, QueryLen = s.QueryLen, KeyLen = s.KeyLen, MaskStride = s.MaskStride,
                BiasStride = s.BiasStride, Causal = options.Causal ? 1 : 0, QueryOffset = options.QueryOffset,
            };
            CudaDevice.Kernels.Launch("attention_softmax_forward", SoftmaxRows(ScoreRows(s)), softmax);

            // context (group·Tq × dh) = P (group·Tq × Tk) · Vh (Tk × dh), per key/value head, into fp32, then back to (B, Tq, H·dh)
            using var context = Allocate(DType.F32, s.Batch, s.Heads, s.QueryLen, s.HeadDim);
            blas.GemmStridedBatched(false, false, rows, s.HeadDim, s.KeyLen, 1f,
                DevicePointer(probsLow ?? probs), compute, s.KeyLen, pStride, DevicePointer(vh), compute, s.HeadDim, kStride,
                0f, DevicePointer(context), DType.F32, s.HeadDim, qStride, batchCount);
            PermuteOut(output, context, s, s.Heads, s.QueryLen, s.QueryLen);
        }
        catch
        {
            probs.Dispose();
            throw;
        }
        return AttentionState.Unfused(probs, options, s.KeyLen, keyMask, positionBias);
    }

    private void UnfusedAttentionBackward(Tensor dQuery, Tensor dKey, Tensor dValue, Tensor dOutput, Tensor query, Tensor key, Tensor value, AttentionState state, OpChecks.AttentionSizes s)
    {
        var options = state.Options;
        var probs = state.Probabilities!;
        if (s.Batch == 0 || s.QueryLen == 0)
        {
            // no query attended: the keys and values received nothing
            Fill(dKey, 0f);
            Fill(dValue, 0f);
            return;
        }

        var compute = AttentionComputeType(query, key, value, dOutput);
        using var qh = Allocate(compute, s.Batch, s.Heads, s.QueryLen, s.HeadDim);
        using var kh = Allocate(compute, s.Batch, s.KeyValueHeads, s.KeyLen, s.HeadDim);
        using var vh = Allocate(compute, s.Batch, s.KeyValueHeads, s.KeyLen, s.HeadDim);
        using var doh = Allocate(compute, s.Batch, s.Heads, s.QueryLen, s.HeadDim);
        PermuteIn(qh, query, s, s.Heads, s.QueryLen, s.QueryLen);
        PermuteIn(kh, key, s, s.KeyValueHeads, s.KeyLen, s.Capacity);
        PermuteIn(vh, value, s, s.KeyValueHeads, s.KeyLen, s.Capacity);
        PermuteIn(doh, dOutput, s, s.Heads, s.QueryLen, s.QueryLen);
        using var probsLow = compute == DType.BF16 ? Converted(probs, DType.BF16) : null;

        var blas = CudaDevice.Blas;
        int rows = s.Group * s.QueryLen, batchCount = s.KeyValueHeads * s.Batch;
        long qStride = (long)rows * s.HeadDim, kStride = (long)s.KeyLen * s.HeadDim, pStride = (long)rows * s.KeyLen;
        // one fp32 scratch serves dVh, dQh and dKh in turn: the stream runs each permute before the next GEMM overwrites it
        using var gradient = Allocate(DType.F32, s.Batch, s.Heads, Math.Max(s.QueryLen, s.KeyLen), s.HeadDim);
        var p = DevicePointer(probsLow ?? probs);

        // dVh (Tk × dh) = Pᵀ (Tk × group·Tq) · dOh (group·Tq × dh)
        blas.GemmStridedBatched(true, false, s.KeyLen, s.HeadDim, rows, 1f,
            p, compute, s.KeyLen, pStride, DevicePointer(doh), compute, s.HeadDim, qStride,
            0f, DevicePointer(gradient), DType.F32, s.HeadDim, kStride, batchCount);
        PermuteOut(dValue, gradient, s, s.KeyValueHeads, s.KeyLen, s.Capacity);

        // dP (group·Tq × Tk) = dOh (group·Tq × dh) · Vhᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P)) in place
        using var dScores = Allocate(DType.F32, s.Batch, s.Heads, s.QueryLen, s.KeyLen);
        blas.GemmStridedBatched(false, true, rows, s.KeyLen, s.HeadDim, 1f,
            DevicePointer(doh), compute, s.HeadDim, qStride, DevicePointer(vh), compute, s.HeadDim, kStride,
            0f, DevicePointer(dScores), DType.F32, s.KeyLen, pStride, batchCount);
        using var dScoresLow = compute == DType.BF16 ? Allocate(DType.BF16, s.Batch, s.Heads, s.QueryLen, s.KeyLen) : null;
        var softmax = new AttentionSoftmaxBackwardArgs
        {
            DScores = Ptr(dScores), DScoresLow = Ptr(dScoresLow), Probs = Ptr(probs), Rows = ScoreRows(s), KeyLen = s.KeyLen,
        };
        CudaDevice.Kernels.Launch("attention_softmax_backward", SoftmaxRows(ScoreRows(s)), softmax);
        var ds = DevicePointer(dScoresLow ?? dScores);

        // dQh (group·Tq × dh) = scale · dS (group·Tq × Tk) · Kh (Tk × dh)
        blas.GemmStridedBatched(false, false, rows, s.HeadDim, s.KeyLen, options.Scale,
            ds, compute, s.KeyLen, pStride, DevicePointer(kh), compute, s.HeadDim, kStride,
            0f, DevicePointer(gradient), DType.F32, s.HeadDim, qStride, batchCount);
        PermuteOut(dQuery, gradient, s, s.Heads, s.QueryLen, s.QueryLen);

        // dKh (Tk × dh) = scale · dSᵀ (Tk × group·Tq) · Qh (group·Tq × dh)
        blas.GemmStridedBatched(true, false, s.KeyLen, s.HeadDim, rows, options.Scale,
            ds, compute, s.KeyLen, pStride, DevicePointer(qh), compute, s.HeadDim, qStride,
            0f, DevicePointer(gradient), DType.F32, s.HeadDim, kStride, batchCount);
        PermuteOut(dKey, gradient, s, s.KeyValueHeads, s.KeyLen, s.Capacity);
    }

    // (B, fullRows, heads·dh) → (B, heads, rows, dh), the first `rows` rows
    private void PermuteIn(Tensor heads, Tensor source, OpChecks.AttentionSizes s, int headCount, int rows, int fullRows)
    {
        var args = new AttentionPermuteArgs
        {
            Dst = Ptr(heads), Src = Ptr(source), Batch = s.Batch, Heads = headCount, Rows = rows, FullRows = fullRows, HeadDim = s.HeadDim,
            Bf16 = Bf16(heads, 0) | Bf16(source, 1),
        };
        CudaDevice.Kernels.Launch("attention_permute_in", Flat(Chunks((long)s.Batch * headCount * rows, s.HeadDim)), args);
    }

    // (B, heads, rows, dh) fp32 → (B, fullRows, heads·dh), rows past `rows` zero
    private void PermuteOut(Tensor destination, Tensor heads, OpChecks.AttentionSizes s, int headCount, int rows, int fullRows)
    {
        var args = new AttentionPermuteArgs
        {
            Dst = Ptr(destination), Src = Ptr(heads), Batch = s.Batch, Heads = headCount, Rows = rows, FullRows = fullRows, HeadDim = s.HeadDim,
            Bf16 = Bf16(destination, 0) | Bf16(heads, 1),
        };
        CudaDevice.Kernels.Launch("attention_permute_out", Flat(Chunks((long)s.Batch * fullRows * headCount, s.HeadDim)), args);
    }

    private static LaunchShape SoftmaxRows(long rows) =>
        new(LaunchShape.Blocks(rows, SoftmaxRowsPerBlock), 1, 1, SoftmaxThreads);

    // bf16 GEMMs (tensor cores, fp32 accumulation) when every operand is bf16; f32 otherwise (widening is exact)
    private static DType AttentionComputeType(Tensor query, Tensor key, Tensor value, Tensor? dOutput = null) =>
        query.DType == DType.BF16 && key.DType == DType.BF16 && value.DType == DType.BF16 && (dOutput?.DType ?? DType.BF16) == DType.BF16
            ? DType.BF16 : DType.F32;

    private static long ScoreRows(OpChecks.AttentionSizes s) => (long)s.Batch * s.Heads * s.QueryLen;
}
