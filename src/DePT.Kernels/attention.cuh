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

// =====================================================================================================
// Fused attention (the flash-attention algorithm): no (Tq, Tk) matrix in device memory, forward or backward.
//
// Per (example b, query head h), reading key/value head h / (H / Hkv) (grouped-query attention; Hkv = H is multi-head), with s_ij = scale·q_i·k_j + bias(h, i, j), −∞ where key j is hidden (j ≥ Tk, keyMask,
// or causal j > i + queryOffset):
//   forward   O_i = Σ_j exp(s_ij − lse_i)·v_j,  lse_i = log Σ_j exp(s_ij)  (+∞ and O_i = 0 when no key is visible)
//             in query tiles of kFwdRows; key tiles of kFwdKeys stream through shared memory with an online
//             softmax (running max m and sum l per row; O rescaled by exp(m_old − m_new) when the max grows).
//   backward  delta_i = Σ_d dO_id·O_id   (attention_flash_delta)
//             per key tile of one key/value head (kBwdKeys keys, dK and dV in registers), over the group's H / Hkv query
//             heads and, for each, the query tiles (kBwdRows rows) it can see (so dK, dV sum the group without atomics):
//             P = exp(s − lse), dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − delta), dK += scale·dSᵀ·Q,
//             dQ += scale·dS·K (fp32 atomics into dqAccum: dQuery itself when fp32, else a scratch the host converts).
// bias(h, i, j) is table[bucket(j − (i + queryOffset)), h] from the T5 table (computed here, a tile's
// kRows + kKeys − 1 relative positions at a time into shared memory), or a dense bias (H, Tq, biasStride), or 0.
// The table is frozen: no gradient.
//
// Tensors keep the model's layout: q, out, dO, dQ (B, Tq, H·dh), k, v, dK, dV (B, Tcap, Hkv·dh), lse and delta (B, H, Tq)
// fp32. Q, K, V (and dO, O in the backward) share one element type T: bf16 (tensor cores: mma.sync m16n8k16, bf16
// operands, fp32 accumulation) or fp32 (the check path: the same tiles and fragments, each mma done by warp
// shuffles in fp32). Head dims 32, 64 and 128; any lengths (tiles past Tq or Tk are zero-filled and masked).
// Requires 16-byte aligned tensors (the host checks). The four gradients are activation gradients: assigned;
// dK, dV rows Tk..Tcap−1 are zero.
//
// Launch geometry: forward grid (ceil(Tq / kFwdRows), H, B), block 32·kFwdWarps; backward grid
// (ceil(Tcap / kBwdKeys), Hkv, B), block 32·kBwdWarps; delta one warp per (b, i, h) row, block 256.
// Warp w owns rows 16w..16w+15 of its block's query tile (forward) or key tile (backward): every mma result a
// warp needs stays in its registers, and only dS goes through shared memory (for dQ, whose rows are queries).

struct AttentionFlashArgs {
    void* out;               // (B, Tq, H·dh)      forward output
    float* lse;              // (B, H, Tq)         forward: written; backward: read
    const void* q;           // (B, Tq, H·dh)
    const void* k;           // (B, Tcap, Hkv·dh)  first Tk rows used
    const void* v;           // (B, Tcap, Hkv·dh)
    const int* keyMask;      // (B, maskStride)    0 hides key j, or null
    const void* biasTable;   // (buckets, H)       T5 relative bias table (fp32, or bf16 when bit 0 of tableBf16), or null
    const float* bias;       // (H, Tq, biasStride) dense additive bias, or null (never both)
    float* dqAccum;          // (B, Tq, H·dh)      backward: fp32 sum of dQ, zeroed by the host first
    void* dk;                // (B, Tcap, Hkv·dh)  backward
    void* dv;                // (B, Tcap, Hkv·dh)  backward
    const void* dout;        // (B, Tq, H·dh)      backward: dO
    const float* delta;      // (B, H, Tq)         backward: rowsum(dO ⊙ O)
    int batch, heads, queryLen, keyLen, capacity, maskStride, biasStride, causal, queryOffset;
    int buckets, bidirectional, tableBf16;            // tableBf16: bit 0 set when biasTable holds bf16
    float scale, logRatio;   // logRatio: (float) log(maxDistance / maxExact), as RelativeBiasArgs
    int kvHeads;             // Hkv, key/value heads, dividing H; 0 means H (multi-head)
};

static_assert(sizeof(AttentionFlashArgs) == 168, "AttentionFlashArgs layout changed: update the C# mirror");

// a pair of consecutive elements as one mma operand register: bf16x2 in 32 bits, or two floats
template <typename T> struct AttnPair;
template <> struct AttnPair<ops_bf16> {
    typedef unsigned int type;
    static __device__ __forceinline__ type make(float lo, float hi)
    {
        return static_cast<unsigned int>(ops_f32_to_bf16(lo)) | (static_cast<unsigned int>(ops_f32_to_bf16(hi)) << 16);
    }
    static __device__ __forceinline__ type load(const ops_bf16* p) { return *reinterpret_cast<const unsigned int*>(p); }
    static __device__ __forceinline__ type gather(const ops_bf16* lo, const ops_bf16* hi)
    {
        return static_cast<unsigned int>(*lo) | (static_cast<unsigned int>(*hi) << 16);
    }
    static __device__ __forceinline__ float lo(type x) { return __uint_as_float(x << 16); }
    static __device__ __forceinline__ float hi(type x) { return __uint_as_float(x & 0xffff0000u); }
};
template <> struct AttnPair<float> {
    typedef float2 type;
    static __device__ __forceinline__ type make(float lo, float hi) { type x; x.x = lo; x.y = hi; return x; }
    static __device__ __forceinline__ type load(const float* p) { return *reinterpret_cast<const float2*>(p); }
    static __device__ __forceinline__ type gather(const float* lo, const float* hi) { return make(*lo, *hi); }
    static __device__ __forceinline__ float lo(type x) { return x.x; }
    static __device__ __forceinline__ float hi(type x) { return x.y; }
};

template <typename T> __device__ __forceinline__ T attn_narrow(float x);
template <> __device__ __forceinline__ ops_bf16 attn_narrow<ops_bf16>(float x) { return ops_f32_to_bf16(x); }
template <> __device__ __forceinline__ float attn_narrow<float>(float x) { return x; }

// c (16×8, fp32) += a (16×16) · b (16×8) in the m16n8k16 fragment layout: lane = 4g + t holds
//   a: {A[g][2t..2t+1], A[g+8][2t..2t+1], A[g][2t+8..2t+9], A[g+8][2t+8..2t+9]}   b: {B[2t..2t+1][g], B[2t+8..2t+9][g]}
//   c: {C[g][2t], C[g][2t+1], C[g+8][2t], C[g+8][2t+1]}
// by shuffles: each lane fetches rows g and g+8 of A and columns 2t, 2t+1 of B from the lanes that hold them
template <typename T>
__device__ __forceinline__ void attn_mma_shuffled(float (&c)[4], const typename AttnPair<T>::type (&a)[4], const typename AttnPair<T>::type (&b)[2])
{
    typedef AttnPair<T> P;
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const float af[8] = {P::lo(a[0]), P::hi(a[0]), P::lo(a[1]), P::hi(a[1]), P::lo(a[2]), P::hi(a[2]), P::lo(a[3]), P::hi(a[3])};
    const float bf[4] = {P::lo(b[0]), P::hi(b[0]), P::lo(b[1]), P::hi(b[1])};
#pragma unroll
    for (int s = 0; s < 4; ++s) {
        float x[8];   // A[g][2s, 2s+1], A[g+8][2s, 2s+1], A[g][2s+8, 2s+9], A[g+8][2s+8, 2s+9]
#pragma unroll
        for (int r = 0; r < 8; ++r) x[r] = __shfl_sync(0xffffffffu, af[r], 4 * g + s);
#pragma unroll
        for (int n = 0; n < 2; ++n) {
            float y[4];   // B[2s, 2s+1][2t + n], B[2s+8, 2s+9][2t + n]
#pragma unroll
            for (int r = 0; r < 4; ++r) y[r] = __shfl_sync(0xffffffffu, bf[r], 4 * (2 * t + n) + s);
            c[n] += x[0] * y[0] + x[1] * y[1] + x[4] * y[2] + x[5] * y[3];
            c[2 + n] += x[2] * y[0] + x[3] * y[1] + x[6] * y[2] + x[7] * y[3];
        }
    }
}

template <typename T>
__device__ __forceinline__ void attn_mma(float (&c)[4], const typename AttnPair<T>::type (&a)[4], const typename AttnPair<T>::type (&b)[2])
{
    attn_mma_shuffled<T>(c, a, b);
}

#if !defined(DEPT_CPU_EMULATION)   // the CPU emulation (benchmarks/kernel-lab) runs the shuffled form for bf16 too
template <>
__device__ __forceinline__ void attn_mma<ops_bf16>(float (&c)[4], const unsigned int (&a)[4], const unsigned int (&b)[2])
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
#endif

// Fragment loads from shared tiles (row-major, leading dimension ld). g = lane / 4, t = lane % 4.
// A (16×16) at (m0, k0) of a tile that holds A row-major: pairs are contiguous
template <typename T>
__device__ __forceinline__ void attn_frag_a(typename AttnPair<T>::type (&a)[4], const T* s, int ld, int m0, int k0)
{
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const T* p = s + (m0 + g) * ld + k0 + 2 * t;
    a[0] = AttnPair<T>::load(p);
    a[1] = AttnPair<T>::load(p + 8 * ld);
    a[2] = AttnPair<T>::load(p + 8);
    a[3] = AttnPair<T>::load(p + 8 * ld + 8);
}

// A (16×16) at (m0, k0) of a tile that holds Aᵀ row-major (A[m][k] = s[k][m])
template <typename T>
__device__ __forceinline__ void attn_frag_a_transposed(typename AttnPair<T>::type (&a)[4], const T* s, int ld, int m0, int k0)
{
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const T* p = s + (k0 + 2 * t) * ld + m0 + g;
    a[0] = AttnPair<T>::gather(p, p + ld);
    a[1] = AttnPair<T>::gather(p + 8, p + ld + 8);
    a[2] = AttnPair<T>::gather(p + 8 * ld, p + 9 * ld);
    a[3] = AttnPair<T>::gather(p + 8 * ld + 8, p + 9 * ld + 8);
}

// B (16×8) at (k0, n0) of a tile that holds Bᵀ row-major (B[k][n] = s[n][k], e.g. K for Q·Kᵀ): pairs are contiguous
template <typename T>
__device__ __forceinline__ void attn_frag_b(typename AttnPair<T>::type (&b)[2], const T* s, int ld, int k0, int n0)
{
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const T* p = s + (n0 + g) * ld + k0 + 2 * t;
    b[0] = AttnPair<T>::load(p);
    b[1] = AttnPair<T>::load(p + 8);
}

// B (16×8) at (k0, n0) of a tile that holds B row-major (e.g. V for P·V)
template <typename T>
__device__ __forceinline__ void attn_frag_b_rows(typename AttnPair<T>::type (&b)[2], const T* s, int ld, int k0, int n0)
{
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const T* p = s + (k0 + 2 * t) * ld + n0 + g;
    b[0] = AttnPair<T>::gather(p, p + ld);
    b[1] = AttnPair<T>::gather(p + 8 * ld, p + 9 * ld);
}

// the A fragment for columns 16kk..16kk+15 of a 16-row accumulator (c[n] = columns 8n..8n+7): P or dS as an operand
template <typename T, int N>
__device__ __forceinline__ void attn_frag_a_from(typename AttnPair<T>::type (&a)[4], const float (&c)[N][4], int kk)
{
    a[0] = AttnPair<T>::make(c[2 * kk][0], c[2 * kk][1]);
    a[1] = AttnPair<T>::make(c[2 * kk][2], c[2 * kk][3]);
    a[2] = AttnPair<T>::make(c[2 * kk + 1][0], c[2 * kk + 1][1]);
    a[3] = AttnPair<T>::make(c[2 * kk + 1][2], c[2 * kk + 1][3]);
}

template <typename T, int D> struct AttnFlashConfig {
    static constexpr bool kBf16 = sizeof(T) == 2;
    static constexpr int kLd = D + 16 / static_cast<int>(sizeof(T));   // rows padded by 16 bytes: the 8 rows of a fragment load hit 8 bank groups
    static constexpr int kFwdWarps = 4, kFwdRows = 16 * kFwdWarps;
    static constexpr int kFwdKeys = kBf16 ? 64 : 32;                   // K and V tiles within 48 KB of static shared memory
    static constexpr int kBwdWarps = kBf16 ? 4 : 1, kBwdKeys = 16 * kBwdWarps;
    static constexpr int kBwdRows = kBf16 && D <= 64 ? 64 : 16;
    static constexpr int kDsLd = kBwdRows + 16 / static_cast<int>(sizeof(T));
    static_assert(D % 16 == 0 && kFwdRows <= 2 * kFwdKeys, "the query tile is staged in the K and V tiles' space");
};

// rows [row0, row0 + rows) of a (·, ldGlobal) tensor's columns [0, D) into a shared tile (ld), zeros past `valid` rows
template <typename T, int D, int LD>
__device__ __forceinline__ void attn_load_tile(T* s, const T* g, long long ldGlobal, int row0, int rows, int valid, int threads)
{
    constexpr int kChunk = 16 / static_cast<int>(sizeof(T));   // elements per 16-byte access
    constexpr int kChunksPerRow = D / kChunk;
    for (int c = threadIdx.x; c < rows * kChunksPerRow; c += threads) {
        const int r = c / kChunksPerRow, col = (c - r * kChunksPerRow) * kChunk;
        uint4 x = {0u, 0u, 0u, 0u};
        if (row0 + r < valid) x = *reinterpret_cast<const uint4*>(g + (row0 + r) * ldGlobal + col);
        *reinterpret_cast<uint4*>(s + r * LD + col) = x;
    }
}

// T5 bias by relative position for a tile: biasRel[r] = table[bucket(j − (i + queryOffset)), h] with
// r = (j − j0) − (i − i0) + rows − 1; and keyAdd[c] = 0 for a visible key j0 + c, −∞ for a hidden one
__device__ __forceinline__ void attn_tile_terms(float* biasRel, float* keyAdd, const AttentionFlashArgs& a, int b, int h, int i0, int j0, int rows, int keys, int threads)
{
    const bool tableBf16 = (a.tableBf16 & 1) != 0;
    if (a.biasTable != nullptr)
        for (int r = threadIdx.x; r < rows + keys - 1; r += threads) {
            const int rel = j0 - i0 + r - (rows - 1) - a.queryOffset;
            biasRel[r] = ops_load(a.biasTable, tableBf16, static_cast<long long>(ops_t5_bucket(rel, a.bidirectional != 0, a.buckets, a.logRatio)) * a.heads + h);
        }
    for (int c = threadIdx.x; c < keys; c += threads) {
        const int j = j0 + c;
        const bool visible = j < a.keyLen && (a.keyMask == nullptr || a.keyMask[static_cast<long long>(b) * a.maskStride + j] != 0);
        keyAdd[c] = visible ? 0.0f : ops_neg_inf();
    }
}

// the score of query i, key j (both absolute) from the dot product; −∞ when hidden
__device__ __forceinline__ float attn_score(const AttentionFlashArgs& a, float dot, const float* biasRel, const float* keyAdd, int h, int i, int j, int i0, int j0, int rows)
{
    if (a.causal && j > i + a.queryOffset) return ops_neg_inf();
    float s = a.scale * dot + keyAdd[j - j0];
    if (a.biasTable != nullptr) s += biasRel[(j - j0) - (i - i0) + rows - 1];
    else if (a.bias != nullptr && i < a.queryLen) s += a.bias[(static_cast<long long>(h) * a.queryLen + i) * a.biasStride + j];
    return s;
}

// Hkv: the key/value heads (0 in the arguments means H)
__device__ __forceinline__ int attn_kv_heads(const AttentionFlashArgs& a) { return a.kvHeads > 0 ? a.kvHeads : a.heads; }

#define ATTN_LOG2E 1.4426950408889634f
#define ATTN_LN2 0.6931471805599453f

template <typename T, int D>
__device__ __forceinline__ void attention_flash_forward_body(const AttentionFlashArgs& a)
{
    typedef AttnFlashConfig<T, D> C;
    typedef typename AttnPair<T>::type Pair;
    constexpr int LD = C::kLd, ROWS = C::kFwdRows, KEYS = C::kFwdKeys, THREADS = 32 * C::kFwdWarps;
    alignas(16) __shared__ T sKV[2 * KEYS * LD];    // K tile, then V tile; the Q tile before them
    __shared__ float sBiasRel[ROWS + KEYS];
    __shared__ float sKeyAdd[KEYS];
    T* sK = sKV;
    T* sV = sKV + KEYS * LD;

    const int b = blockIdx.z, h = blockIdx.y, i0 = blockIdx.x * ROWS;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int kvHeads = attn_kv_heads(a), kvh = h / (a.heads / kvHeads);   // the key/value head this query head reads
    const long long width = static_cast<long long>(a.heads) * D, kvWidth = static_cast<long long>(kvHeads) * D;
    const T* q = static_cast<const T*>(a.q) + static_cast<long long>(b) * a.queryLen * width + h * D;
    const T* k = static_cast<const T*>(a.k) + static_cast<long long>(b) * a.capacity * kvWidth + kvh * D;
    const T* v = static_cast<const T*>(a.v) + static_cast<long long>(b) * a.capacity * kvWidth + kvh * D;

    attn_load_tile<T, D, LD>(sKV, q, width, i0, ROWS, a.queryLen, THREADS);
    __syncthreads();
    Pair qf[D / 16][4];
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) attn_frag_a<T>(qf[kk], sKV, LD, 16 * warp, 16 * kk);
    __syncthreads();

    const int row0 = i0 + 16 * warp + g;   // this lane's rows: row0 and row0 + 8
    float m[2] = {ops_neg_inf(), ops_neg_inf()}, l[2] = {0.0f, 0.0f};
    float o[D / 8][4];
#pragma unroll
    for (int n = 0; n < D / 8; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;

    const int keyEnd = a.causal ? ops_min(a.keyLen, i0 + ROWS + a.queryOffset) : a.keyLen;   // keys past it are hidden from every row
    for (int j0 = 0; j0 < keyEnd; j0 += KEYS) {
        attn_load_tile<T, D, LD>(sK, k, kvWidth, j0, KEYS, a.keyLen, THREADS);
        attn_load_tile<T, D, LD>(sV, v, kvWidth, j0, KEYS, a.keyLen, THREADS);
        attn_tile_terms(sBiasRel, sKeyAdd, a, b, h, i0, j0, ROWS, KEYS, THREADS);
        __syncthreads();

        float s[KEYS / 8][4];
#pragma unroll
        for (int n = 0; n < KEYS / 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
#pragma unroll
        for (int kk = 0; kk < D / 16; ++kk)
#pragma unroll
            for (int n = 0; n < KEYS / 8; ++n) {
                Pair kf[2];
                attn_frag_b<T>(kf, sK, LD, 16 * kk, 8 * n);
                attn_mma<T>(s[n], qf[kk], kf);
            }

        // scores in the log2 domain; the row maximum over the tile (the 4 lanes t = 0..3 share a row)
        float mt[2] = {ops_neg_inf(), ops_neg_inf()};
#pragma unroll
        for (int n = 0; n < KEYS / 8; ++n)
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int i = row0 + (e >> 1) * 8, j = j0 + 8 * n + 2 * t + (e & 1);
                s[n][e] = attn_score(a, s[n][e], sBiasRel, sKeyAdd, h, i, j, i0, j0, ROWS) * ATTN_LOG2E;
                mt[e >> 1] = fmaxf(mt[e >> 1], s[n][e]);
            }
        float base[2];
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            mt[r] = fmaxf(mt[r], __shfl_xor_sync(0xffffffffu, mt[r], 1));
            mt[r] = fmaxf(mt[r], __shfl_xor_sync(0xffffffffu, mt[r], 2));
            const float mNew = fmaxf(m[r], mt[r]);
            base[r] = mNew == ops_neg_inf() ? 0.0f : mNew;   // a row with nothing visible yet: exp2(−∞ − 0) = 0, never NaN
            const float alpha = exp2f(m[r] - base[r]);
            m[r] = mNew;
            l[r] *= alpha;
#pragma unroll
            for (int n = 0; n < D / 8; ++n) {
                o[n][2 * r] *= alpha;
                o[n][2 * r + 1] *= alpha;
            }
        }
#pragma unroll
        for (int n = 0; n < KEYS / 8; ++n)
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                s[n][e] = exp2f(s[n][e] - base[e >> 1]);
                l[e >> 1] += s[n][e];
            }

        // O += P · V
#pragma unroll
        for (int kk = 0; kk < KEYS / 16; ++kk) {
            Pair pf[4];
            attn_frag_a_from<T>(pf, s, kk);
#pragma unroll
            for (int n = 0; n < D / 8; ++n) {
                Pair vf[2];
                attn_frag_b_rows<T>(vf, sV, LD, 16 * kk, 8 * n);
                attn_mma<T>(o[n], pf, vf);
            }
        }
        __syncthreads();
    }

    T* out = static_cast<T*>(a.out) + static_cast<long long>(b) * a.queryLen * width + h * D;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
        const int i = row0 + 8 * r;
        if (i >= a.queryLen) continue;
        const float inv = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;
#pragma unroll
        for (int n = 0; n < D / 8; ++n) {
            T* p = out + i * width + 8 * n + 2 * t;
            const typename AttnPair<T>::type x = AttnPair<T>::make(o[n][2 * r] * inv, o[n][2 * r + 1] * inv);
            *reinterpret_cast<typename AttnPair<T>::type*>(p) = x;
        }
        if (t == 0)
            a.lse[(static_cast<long long>(b) * a.heads + h) * a.queryLen + i] =
                l[r] > 0.0f ? (m[r] + log2f(l[r])) * ATTN_LN2 : __uint_as_float(0x7f800000u);
    }
}

template <typename T, int D>
__device__ __forceinline__ void attention_flash_backward_body(const AttentionFlashArgs& a)
{
    typedef AttnFlashConfig<T, D> C;
    typedef typename AttnPair<T>::type Pair;
    constexpr int LD = C::kLd, ROWS = C::kBwdRows, KEYS = C::kBwdKeys, THREADS = 32 * C::kBwdWarps, DSLD = C::kDsLd;
    alignas(16) __shared__ T sK[KEYS * LD];
    alignas(16) __shared__ T sV[KEYS * LD];
    alignas(16) __shared__ T sQ[ROWS * LD];
    alignas(16) __shared__ T sDO[ROWS * LD];
    alignas(16) __shared__ T sDS[KEYS * DSLD];   // scale·dSᵀ (keys × queries), for dQ
    __shared__ float sLse[ROWS], sDelta[ROWS];      // log2-domain lse; delta
    __shared__ float sBiasRel[ROWS + KEYS];
    __shared__ float sKeyAdd[KEYS];

    const int b = blockIdx.z, kvh = blockIdx.y, j0 = blockIdx.x * KEYS;   // kvh: the key/value head
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int kvHeads = attn_kv_heads(a), group = a.heads / kvHeads;   // query heads kvh·group .. kvh·group + group − 1 read it
    const long long width = static_cast<long long>(a.heads) * D, kvWidth = static_cast<long long>(kvHeads) * D;
    const long long kBase = static_cast<long long>(b) * a.capacity * kvWidth + kvh * D;
    attn_load_tile<T, D, LD>(sK, static_cast<const T*>(a.k) + kBase, kvWidth, j0, KEYS, a.keyLen, THREADS);
    attn_load_tile<T, D, LD>(sV, static_cast<const T*>(a.v) + kBase, kvWidth, j0, KEYS, a.keyLen, THREADS);

    float dk[D / 8][4], dv[D / 8][4];
#pragma unroll
    for (int n = 0; n < D / 8; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e) dk[n][e] = dv[n][e] = 0.0f;

    const int key0 = j0 + 16 * warp + g;   // this lane's keys: key0 and key0 + 8
    // causal: query i sees key j when i + queryOffset ≥ j, so the first query tile that sees this key tile
    const int firstRow = a.causal ? ops_max(0, j0 - a.queryOffset) / ROWS * ROWS : 0;
    const int rowEnd = j0 < a.keyLen ? a.queryLen : 0;   // a tile of cache rows past Tk: nothing to do, zeros out
    for (int h = kvh * group; h < (kvh + 1) * group; ++h) {   // the group's query heads: dK, dV sum over them in registers
        const long long qBase = static_cast<long long>(b) * a.queryLen * width + h * D;
        const long long rowBase = (static_cast<long long>(b) * a.heads + h) * a.queryLen;   // into lse, delta
        const T* q = static_cast<const T*>(a.q) + qBase;
        const T* dout = static_cast<const T*>(a.dout) + qBase;
        for (int i0 = firstRow; i0 < rowEnd; i0 += ROWS) {
            attn_load_tile<T, D, LD>(sQ, q, width, i0, ROWS, a.queryLen, THREADS);
            attn_load_tile<T, D, LD>(sDO, dout, width, i0, ROWS, a.queryLen, THREADS);
            attn_tile_terms(sBiasRel, sKeyAdd, a, b, h, i0, j0, ROWS, KEYS, THREADS);
            for (int r = threadIdx.x; r < ROWS; r += THREADS) {
                const bool live = i0 + r < a.queryLen;
                sLse[r] = live ? a.lse[rowBase + i0 + r] * ATTN_LOG2E : __uint_as_float(0x7f800000u);
                sDelta[r] = live ? a.delta[rowBase + i0 + r] : 0.0f;
            }
            __syncthreads();

            // Sᵀ = K·Qᵀ and dPᵀ = V·dOᵀ: this warp's 16 keys × ROWS queries
            float st[ROWS / 8][4], dpt[ROWS / 8][4];
#pragma unroll
            for (int n = 0; n < ROWS / 8; ++n)
#pragma unroll
                for (int e = 0; e < 4; ++e) st[n][e] = dpt[n][e] = 0.0f;
#pragma unroll
            for (int kk = 0; kk < D / 16; ++kk) {
                Pair kf[4], vf[4];
                attn_frag_a<T>(kf, sK, LD, 16 * warp, 16 * kk);
                attn_frag_a<T>(vf, sV, LD, 16 * warp, 16 * kk);
#pragma unroll
                for (int n = 0; n < ROWS / 8; ++n) {
                    Pair qf[2], of[2];
                    attn_frag_b<T>(qf, sQ, LD, 16 * kk, 8 * n);
                    attn_frag_b<T>(of, sDO, LD, 16 * kk, 8 * n);
                    attn_mma<T>(st[n], kf, qf);
                    attn_mma<T>(dpt[n], vf, of);
                }
            }

            // Pᵀ into st, dSᵀ into dpt, and scale·dSᵀ into shared memory for dQ
#pragma unroll
            for (int n = 0; n < ROWS / 8; ++n)
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    const int jl = 16 * warp + g + (e >> 1) * 8, il = 8 * n + 2 * t + (e & 1);
                    const float sc = attn_score(a, st[n][e], sBiasRel, sKeyAdd, h, i0 + il, j0 + jl, i0, j0, ROWS);
                    const float p = exp2f(sc * ATTN_LOG2E - sLse[il]);
                    st[n][e] = p;
                    dpt[n][e] = p * (dpt[n][e] - sDelta[il]);
                    sDS[jl * DSLD + il] = attn_narrow<T>(a.scale * dpt[n][e]);
                }

            // dV += Pᵀ·dO, dK += dSᵀ·Q (scaled at the end): 16 keys × D, contracting over the tile's queries
#pragma unroll
            for (int kk = 0; kk < ROWS / 16; ++kk) {
                Pair pf[4], sf[4];
                attn_frag_a_from<T>(pf, st, kk);
                attn_frag_a_from<T>(sf, dpt, kk);
#pragma unroll
                for (int n = 0; n < D / 8; ++n) {
                    Pair of[2], qf[2];
                    attn_frag_b_rows<T>(of, sDO, LD, 16 * kk, 8 * n);
                    attn_frag_b_rows<T>(qf, sQ, LD, 16 * kk, 8 * n);
                    attn_mma<T>(dv[n], pf, of);
                    attn_mma<T>(dk[n], sf, qf);
                }
            }
            __syncthreads();

            // dQ (ROWS × D) += scale·dS·K: 16×8 output tiles dealt round-robin to the warps, fp32 atomics (other key tiles add too)
            for (int tile = warp; tile < (ROWS / 16) * (D / 8); tile += C::kBwdWarps) {
                const int mq = tile / (D / 8), nd = tile - mq * (D / 8);
                float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
#pragma unroll
                for (int kk = 0; kk < KEYS / 16; ++kk) {
                    Pair sf[4], kf[2];
                    attn_frag_a_transposed<T>(sf, sDS, DSLD, 16 * mq, 16 * kk);
                    attn_frag_b_rows<T>(kf, sK, LD, 16 * kk, 8 * nd);
                    attn_mma<T>(acc, sf, kf);
                }
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    const int i = i0 + 16 * mq + g + (e >> 1) * 8;
                    if (i < a.queryLen) atomicAdd(a.dqAccum + qBase + i * width + 8 * nd + 2 * t + (e & 1), acc[e]);
                }
            }
            __syncthreads();   // before the next tile overwrites sQ, sDO, sDS
        }
    }

    T* dkOut = static_cast<T*>(a.dk) + kBase;
    T* dvOut = static_cast<T*>(a.dv) + kBase;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        const int j = key0 + 8 * r;
        if (j >= a.capacity) continue;
#pragma unroll
        for (int n = 0; n < D / 8; ++n) {
            const long long at = j * kvWidth + 8 * n + 2 * t;
            *reinterpret_cast<Pair*>(dkOut + at) = AttnPair<T>::make(a.scale * dk[n][2 * r], a.scale * dk[n][2 * r + 1]);
            *reinterpret_cast<Pair*>(dvOut + at) = AttnPair<T>::make(dv[n][2 * r], dv[n][2 * r + 1]);
        }
    }
}

// delta (B, H, Tq) = rowsum(dO ⊙ O) per head row; one warp per (b, i, h) row of dh elements
struct AttentionFlashDeltaArgs {
    float* delta;          // (B, H, Tq)
    const void* dout;      // (B, Tq, H·dh)
    const void* out;       // (B, Tq, H·dh)
    int batch, heads, queryLen, headDim;
    int bf16;              // bit 1 dout, bit 2 out
};

static_assert(sizeof(AttentionFlashDeltaArgs) == 48, "AttentionFlashDeltaArgs layout changed: update the C# mirror");

extern "C" __global__ void __launch_bounds__(256) attention_flash_delta(const AttentionFlashDeltaArgs a)
{
    const long long rows = static_cast<long long>(a.batch) * a.queryLen * a.heads;
    const long long row = static_cast<long long>(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5);   // (b · Tq + i) · H + h
    const int lane = threadIdx.x & 31;
    float sum = 0.0f;
    for (int d = lane; row < rows && d < a.headDim; d += 32)
        sum += ops_load(a.dout, ops_bit(a.bf16, 1), row * a.headDim + d) * ops_load(a.out, ops_bit(a.bf16, 2), row * a.headDim + d);
    sum = ops_warp_sum(sum);   // every lane of the block takes part (no early exit), as the CPU emulation's barriers need
    if (lane == 0 && row < rows) {
        const long long bi = row / a.heads;
        const int h = static_cast<int>(row - bi * a.heads);
        const long long b = bi / a.queryLen;
        a.delta[(b * a.heads + h) * a.queryLen + (bi - b * a.queryLen)] = sum;
    }
}

// the fused kernels for each element type and head dim: attention_flash_{forward,backward}_{bf16,f32}_{32,64,128}
#define ATTN_FLASH_KERNELS(T, NAME, D)                                                                              \
    extern "C" __global__ void __launch_bounds__(32 * AttnFlashConfig<T, D>::kFwdWarps)                            \
        attention_flash_forward_##NAME##_##D(const AttentionFlashArgs a) { attention_flash_forward_body<T, D>(a); }  \
    extern "C" __global__ void __launch_bounds__(32 * AttnFlashConfig<T, D>::kBwdWarps)                            \
        attention_flash_backward_##NAME##_##D(const AttentionFlashArgs a) { attention_flash_backward_body<T, D>(a); }

ATTN_FLASH_KERNELS(ops_bf16, bf16, 32)
ATTN_FLASH_KERNELS(ops_bf16, bf16, 64)
ATTN_FLASH_KERNELS(ops_bf16, bf16, 128)
ATTN_FLASH_KERNELS(float, f32, 32)
ATTN_FLASH_KERNELS(float, f32, 64)
ATTN_FLASH_KERNELS(float, f32, 128)
