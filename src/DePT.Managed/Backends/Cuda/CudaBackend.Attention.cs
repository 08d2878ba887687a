using DePT.Kernels;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

// Unfused multi-head attention: head permutes and the masked softmax in src/DePT.Kernels/attention.cuh,
// the four products as cuBLAS strided-batched GEMMs (fp32 accumulation). Grouped-query attention needs no kernel of
// its own: query heads are laid out (B, H, Tq, dh) = (B, Hkv, group·Tq, dh), so each key/value head meets its group's
// stacked queries in one GEMM of group·Tq rows, batched over B·Hkv; dK and dV then sum over the group by themselves.
public sealed partial class CudaBackend
{
    private const uint SoftmaxThreads = 128;   // one warp per row of scores
    private const int SoftmaxRowsPerBlock = (int)SoftmaxThreads / 32;

    /// <inheritdoc />
    public AttentionState Attention(Tensor output, Tensor query, Tensor key, Tensor value, Tensor? keyMask, Tensor? positionBias, AttentionOptions options)
    {
        var s = OpChecks.Attention(nameof(Attention), Device, output, query, key, value, keyMask, positionBias, options);
        if (s.Batch == 0 || s.QueryLen == 0)   // nothing to attend from: no GEMM of an empty batch or zero rows
            return new AttentionState(Allocate(DType.F32, s.Batch, s.Heads, s.QueryLen, s.KeyLen), options, s.KeyLen, keyMask, positionBias);
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
                Probs = Ptr(probs), ProbsLow = Ptr(probsLow), Bias = Ptr(positionBias), KeyMask = Ptr(keyMask),
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
        return new AttentionState(probs, options, s.KeyLen, keyMask, positionBias);
    }

    /// <inheritdoc />
    public void AttentionBackward(Tensor dQuery, Tensor dKey, Tensor dValue, Tensor dOutput, Tensor query, Tensor key, Tensor value, AttentionState state)
    {
        var s = OpChecks.AttentionBackward(nameof(AttentionBackward), Device, dQuery, dKey, dValue, dOutput, query, key, value, state);
        var options = state.Options;
        var probs = state.Saved;
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
