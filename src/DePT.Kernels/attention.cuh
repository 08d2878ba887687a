/*
The non-GEMM pieces of unfused multi-head attention; the products themselves are cuBLAS strided-batched
GEMMs over the B·H heads, issued by the host (CudaBackend.Attention.cs). Shapes: B batch, H heads, dh head
width, Tq queries, Tk live keys (the first Tk rows of a cache of Tcap rows), D = H·dh.

Forward, per head (b, h):
    Qh, Kh, Vh (B, H, T, dh)  = attention_permute_in(query, key, value)     (the first Tk rows of key, value)
    S  (B, H, Tq, Tk) fp32    = scale · Qh · Khᵀ                            GEMM, alpha = scale
    P                          = attention_softmax_forward(S + bias[h], masks)   in place; P is saved
    Oh (B, H, Tq, dh) fp32    = P · Vh                                      GEMM (P's bf16 copy when Vh is bf16)
    output (B, Tq, D)         = attention_permute_out(Oh)
    masks: key j of row (b, h, i) is visible when keyMask[b, j] != 0 (no mask: all) and, when causal,
    j ≤ i + queryOffset. A row with no visible key gives P = 0 there (so the output row is zeros), never NaN.
Backward (dO given, P saved):
    dVh = Pᵀ · dOh      dP = dOh · Vhᵀ      dS = P ⊙ (dP − rowsum(dP ⊙ P))      (attention_softmax_backward)
    dQh = scale · dS · Kh      dKh = scale · dSᵀ · Qh
    dquery, dkey, dvalue = attention_permute_out(...), dkey and dvalue rows Tk..Tcap−1 set to zero.
All four gradients are activation gradients: assigned.

Kernels here:
    attention_permute_in       dst (B, H, T, dh) = src (B, srcRows, H, dh)[:, :T]     dtype conversion as needed
    attention_permute_out      dst (B, dstRows, H, dh)[:, :T] = src (B, H, T, dh) fp32; rows T.. of dst are zero
    attention_softmax_forward  the masked softmax above, in place on S, plus an optional bf16 copy of P; the
                               bias (fp32) and the key mask may have Tk or Tcap columns (their row strides)
    attention_softmax_backward dS in place on dP, plus an optional bf16 copy of dS
Launch geometry: permutes: blockDim (256, 1, 1), grid-stride over chunks of 8 head columns in destination
order, gridDim.x = min(ceil(chunks / 256), 16 · number of SMs); 16-byte accesses when dh % 8 == 0 and the
bases are 16-byte aligned. Softmaxes: one warp per row of Tk scores, blockDim (128, 1, 1) = 4 rows,
gridDim (ceil(B·H·Tq / 4), 1, 1); each lane takes every 32nd key; a row is read twice (max/sum online,
then the write), the second time from L1/L2.
*/
#pragma once

#include "ops_common.cuh"

struct AttentionPermuteArgs {
    void* dst;             // in: (B, H, T, dh)              out: (B, fullRows, H·dh)
    const void* src;       // in: (B, fullRows, H·dh)        out: (B, H, T, dh) fp32
    int batch, heads, rows, fullRows, headDim;   // B, H, T rows moved, rows of the (B, fullRows, H·dh) side, dh
    int bf16;              // bit 0 dst, bit 1 src
};

struct AttentionSoftmaxArgs {
    float* probs;          // (B, H, Tq, Tk)        in: scale·Q·Kᵀ; out: the probabilities (saved for the backward)
    ops_bf16* probsLow;    // (B, H, Tq, Tk)        bf16 copy of the probabilities for a bf16 P·V, or null
    const float* bias;     // (H, Tq, biasStride)   first Tk columns added to every example's scores, or null
    const int* keyMask;    // (B, maskStride)       first Tk columns: 0 hides key j of example b, or null
    int batch, heads, queryLen, keyLen, maskStride, biasStride, causal, queryOffset;
};

struct AttentionSoftmaxBackwardArgs {
    float* dscores;        // (rows, Tk)   in: dP; out: dS = P ⊙ (dP − Σ_j dP_j·P_j)
    ops_bf16* dscoresLow;  // (rows, Tk)   bf16 copy of dS for the bf16 products, or null
    const float* probs;    // (rows, Tk)   P from the forward
    long long rows;        // B·H·Tq
    int keyLen;
};

static_assert(sizeof(AttentionPermuteArgs) == 40, "AttentionPermuteArgs layout changed: update the C# mirror");
static_assert(sizeof(AttentionSoftmaxArgs) == 64, "AttentionSoftmaxArgs layout changed: update the C# mirror");
static_assert(sizeof(AttentionSoftmaxBackwardArgs) == 40, "AttentionSoftmaxBackwardArgs layout changed: update the C# mirror");

extern "C" __global__ void __launch_bounds__(256) attention_permute_in(const AttentionPermuteArgs a)
{
    const bool vec = (a.headDim & 7) == 0 && ops_aligned16(a.dst) && ops_aligned16(a.src);
    const long long chunksPerHead = (a.headDim + 7) / 8;
    const long long chunks = chunksPerHead * a.batch * a.heads * a.rows;
    const long long width = static_cast<long long>(a.heads) * a.headDim;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long headRow = c / chunksPerHead;                 // (b · H + h) · T + t
        const int col = static_cast<int>(c - headRow * chunksPerHead) * 8;
        const long long bh = headRow / a.rows;
        const int t = static_cast<int>(headRow - bh * a.rows);
        const long long b = bh / a.heads;
        const int h = static_cast<int>(bh - b * a.heads);
        const int n = ops_min(8, a.headDim - col);
        float x[8];
        ops_load8(a.src, ops_bit(a.bf16, 1), (b * a.fullRows + t) * width + static_cast<long long>(h) * a.headDim + col, n, vec, x);
        ops_store8(a.dst, ops_bit(a.bf16, 0), headRow * a.headDim + col, n, vec, x);
    }
}

extern "C" __global__ void __launch_bounds__(256) attention_permute_out(const AttentionPermuteArgs a)
{
    const bool vec = (a.headDim & 7) == 0 && ops_aligned16(a.dst) && ops_aligned16(a.src);
    const long long chunksPerHead = (a.headDim + 7) / 8;
    const long long chunks = chunksPerHead * a.batch * a.fullRows * a.heads;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long dstHead = c / chunksPerHead;                 // (b · fullRows + t) · H + h
        const int col = static_cast<int>(c - dstHead * chunksPerHead) * 8;
        const long long bt = dstHead / a.heads;
        const int h = static_cast<int>(dstHead - bt * a.heads);
        const long long b = bt / a.fullRows;
        const int t = static_cast<int>(bt - b * a.fullRows);
        const int n = ops_min(8, a.headDim - col);
        float x[8];
        if (t < a.rows) {
            ops_load8(a.src, ops_bit(a.bf16, 1), ((b * a.heads + h) * a.rows + t) * a.headDim + col, n, vec, x);
        } else {
#pragma unroll
            for (int j = 0; j < 8; ++j) x[j] = 0.0f;
        }
        ops_store8(a.dst, ops_bit(a.bf16, 0), dstHead * a.headDim + col, n, vec, x);
    }
}

extern "C" __global__ void __launch_bounds__(128) attention_softmax_forward(const AttentionSoftmaxArgs a)
{
    const long long rows = static_cast<long long>(a.batch) * a.heads * a.queryLen;
    const long long row = static_cast<long long>(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5);
    if (row >= rows) return;   // a whole warp leaves together: the shuffles below stay full-warp
    const int lane = threadIdx.x & 31;
    const int i = static_cast<int>(row % a.queryLen);
    const long long bh = row / a.queryLen;
    const int h = static_cast<int>(bh % a.heads);
    const long long b = bh / a.heads;
    float* s = a.probs + row * a.keyLen;
    const float* bias = a.bias != nullptr ? a.bias + (static_cast<long long>(h) * a.queryLen + i) * a.biasStride : nullptr;
    const int* mask = a.keyMask != nullptr ? a.keyMask + b * a.maskStride : nullptr;
    const int lastVisible = a.causal ? i + a.queryOffset : a.keyLen - 1;   // keys past it are hidden
    const float negInf = ops_neg_inf();

    // online maximum and sum of exponentials over this lane's visible keys
    float m = negInf, sum = 0.0f;
    for (int j = lane; j < a.keyLen; j += 32) {
        if (j > lastVisible || (mask != nullptr && mask[j] == 0)) continue;
        const float v = s[j] + (bias != nullptr ? bias[j] : 0.0f);
        if (v == negInf) continue;   // exp(v − m) = 0, and −inf − −inf would be NaN
        if (v > m) {
            sum = sum * expf(m - v) + 1.0f;
            m = v;
        } else {
            sum += expf(v - m);
        }
    }
    const float rowMax = ops_warp_max(m);
    const float total = ops_warp_sum(sum > 0.0f ? sum * expf(m - rowMax) : 0.0f);
    const float inv = total > 0.0f ? 1.0f / total : 0.0f;

    for (int j = lane; j < a.keyLen; j += 32) {
        float p = 0.0f;
        if (inv > 0.0f && j <= lastVisible && (mask == nullptr || mask[j] != 0)) {
            const float v = s[j] + (bias != nullptr ? bias[j] : 0.0f);
            p = expf(v - rowMax) * inv;
        }
        s[j] = p;
        if (a.probsLow != nullptr) a.probsLow[row * a.keyLen + j] = ops_f32_to_bf16(p);
    }
}

extern "C" __global__ void __launch_bounds__(128) attention_softmax_backward(const AttentionSoftmaxBackwardArgs a)
{
    const long long row = static_cast<long long>(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5);
    if (row >= a.rows) return;
    const int lane = threadIdx.x & 31;
    float* ds = a.dscores + row * a.keyLen;
    const float* p = a.probs + row * a.keyLen;

    float dot = 0.0f;
    for (int j = lane; j < a.keyLen; j += 32) dot += ds[j] * p[j];
    dot = ops_warp_sum(dot);

    for (int j = lane; j < a.keyLen; j += 32) {
        const float v = p[j] * (ds[j] - dot);
        ds[j] = v;
        if (a.dscoresLow != nullptr) a.dscoresLow[row * a.keyLen + j] = ops_f32_to_bf16(v);
    }
}
