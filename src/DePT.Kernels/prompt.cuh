/*
DePT encoder input: soft prompt + frozen embeddings + low-rank update, forward and backward.

Shapes: B batch, L input length (right-padded ids), m prompt length, d model width, r rank, s maximum
input length (rows of A), V vocabulary, P number of prompts; T = m + L rows per example.

Forward, for every example b with prompt p = promptIndex[b] (0 when promptIndex is null):
    out[b, t]   = prompt[p, t]                                            t < m
    out[b, m+i] = Emb[ids[b, i]] * embScale + lowRank[p, i]               i < L
    lowRank[p, i] = delta[p, i]                         when delta is given (inference: delta = scale·A·B)
                  = scale · Σ_k A[p, i, k] · B[p, k, :]  when r > 0 (training), scale = lowRankScale
                  = 0                                    when r == 0 and delta is null (vanilla prompt tuning)
Backward, with G = dinp:
    workspace[p] = S_p = Σ_{b: p_b = p} G[b, m:, :]                        (L, d)
    dprompt[p]  += Σ_{b: p_b = p} G[b, :m, :]                              (m, d)
    dA[p, :L]   += scale · S_p · B_pᵀ     dA[p, L:] untouched              (s, r)
    dB[p]       += scale · A_p[:L]ᵀ · S_p                                  (r, d)
The batch is reduced first (one pass over G), then the two small products read only S_p, A_p, B_p.

THE = / += RULE. Activation gradients are assigned (=); parameter gradients are accumulated (+=), so
several micro-batches can add into one gradient buffer that the optimiser zeroes after its step:
    dprompt, dlowRankA, dlowRankB: +=  (prompt parameters)
    workspace (S_p):               =   (scratch, assigned for every prompt, zeros where no example uses p)
The gradient with respect to the frozen embeddings is not produced (weights are frozen).

Launch geometry (every kernel: blockDim = (128, 1, 1), no dynamic shared memory):
    forward    grid (ceil(d / 256), ceil((m + L) / 4), batchSplit)     batchSplit in [1, B]
    reduce     grid (ceil(d / 256), ceil((m + L) / 4), 1)
    lowrank_a  grid (ceil(L / 4),   ceil(r / 8),       P)              launch only when r > 0
    lowrank_b  grid (ceil(d / 128), ceil(r / 8),       P)              launch only when r > 0
    delta      grid (ceil(d / 256), ceil(s / 4),       P)              launch only when r > 0
Forward, reduce and delta: each warp owns one sequence row, each lane 8 consecutive columns, so a block
covers 4 rows x 256 columns. The forward block computes the 4 addend rows (prompt row or low-rank row)
once and reuses them for every example of its batch chunk, recomputing only when the prompt index of the
example changes; the 4 warps share the B columns through L1. Batch chunk of z-slice z:
    chunk = ceil(B / gridDim.z), examples [z·chunk, min(B, (z+1)·chunk)) (slices past B do nothing).

Recommended batchSplit (forward): enough blocks to keep every multiprocessor streaming, but no more,
since each extra slice recomputes the low-rank rows (r·256·4 bytes of B per block, from L2):
    blocks = ceil(d / 256) · ceil((m + L) / 4)
    batchSplit = min(B, max(1, ceil(4 · numSMs / blocks)))
(T5-Base d=768, m=60, L=256 on 132 SMs: 237 blocks -> 3; d=4096: 1264 blocks -> 1.) This rule is
reasoned, not yet measured: kernel-lab/prompt_input sweeps batchSplit and prints the best one.

Vector path: 16-byte loads/stores when the row length allows it (d % 8 == 0 for forward/reduce/delta,
d % 4 == 0 for lowrank_a/b) and the tensors' base pointers are 16-byte aligned; otherwise a scalar path
with the same results. No alignment is required from the caller.

Errors (errorFlag, see common.cuh; first wins): token id outside [0, V) -> code 1 and that output row is
zeros; prompt index outside [0, P) -> code 2, the example's rows are zeros (forward) or the example is
skipped (backward); L > s while a low-rank term is in use -> code 3 and the rows i >= s get no addend
(forward: zeros) or no gradient (dA, dB). Nothing is read out of bounds in any of these cases.

For the caller (the C# mirror): struct sizes are 112 (forward), 104 (backward) and 48 (delta) bytes.
P >= 1; prompt may be null only when m == 0; lowRankA/lowRankB must be set when r > 0 and delta is null
(the forward skips the low-rank term otherwise); errorFlag may be null (errors then go unreported).
workspace holds P·L·d floats; lowrank_a and lowrank_b read it, so they follow the reduce on one stream.
Grid y and z stay far below 65535 for any real shape (ceil((m+L)/4), batchSplit <= B, P).
*/
#pragma once

#include "common.cuh"

// ---------------------------------------------------------------------------------------------------
// launch arguments, mirrored byte for byte by the C# side (LayoutKind.Sequential): 8-byte pointers,
// then int and float fields, in this order

struct PromptInputForwardArgs {
    void* out;                // (B, m+L, d)   OutT: float or bf16
    const int* ids;           // (B, L)        token ids, right-padded
    const void* emb;          // (V, d)        EmbT: float or bf16, frozen word embeddings
    const float* prompt;      // (P, m, d)     soft prompts, P = number of prompts
    const float* lowRankA;    // (P, s, r)     null when r == 0 or when delta is used
    const float* lowRankB;    // (P, r, d)
    const float* delta;       // (P, s, d)     precomputed scale·A·B (inference), or null
    const int* promptIndex;   // (B)           prompt of each example, or null: all use prompt 0
    int* errorFlag;           // (4)           {code, value, position, limit}; first error wins (atomicCAS on [0])
    int batch, seqLen, promptLen, dim, rank, maxLen, vocab, numPrompts;   // B, L, m, d, r, s, V, P
    float embScale, lowRankScale;                                          // embScale multiplies Emb rows; lowRankScale = alpha/sqrt(r)
};

struct PromptInputBackwardArgs {
    float* dprompt;           // (P, m, d)     += sum over the examples of each prompt of dinp[b, :m, :]
    float* dlowRankA;         // (P, s, r)     += scale · S_p · B_pᵀ on rows < L; rows >= L untouched
    float* dlowRankB;         // (P, r, d)     += scale · A_p[:L]ᵀ · S_p
    float* workspace;         // (P, L, d)     S_p = sum over the examples of prompt p of dinp[b, m:, :]  (assigned, =)
    const void* dinp;         // (B, m+L, d)   InT: float or bf16, gradient of the encoder input
    const float* lowRankA;    // (P, s, r)
    const float* lowRankB;    // (P, r, d)
    const int* promptIndex;   // (B) or null
    int* errorFlag;           // (4)
    int batch, seqLen, promptLen, dim, rank, maxLen, numPrompts;
    float lowRankScale;
};

struct LowRankDeltaArgs {     // delta = scale · A · B for all s rows of every prompt (done once per prompt, for serving)
    float* delta;             // (P, s, d)
    const float* lowRankA;    // (P, s, r)
    const float* lowRankB;    // (P, r, d)
    int numPrompts, maxLen, rank, dim;
    float lowRankScale;
};

static_assert(sizeof(void*) == 8, "the argument structs assume 64-bit pointers");
static_assert(sizeof(PromptInputForwardArgs) == 112, "PromptInputForwardArgs layout changed: update the C# mirror");
static_assert(sizeof(PromptInputBackwardArgs) == 104, "PromptInputBackwardArgs layout changed: update the C# mirror");
static_assert(sizeof(LowRankDeltaArgs) == 48, "LowRankDeltaArgs layout changed: update the C# mirror");

// ---------------------------------------------------------------------------------------------------
// geometry constants (the formulas in the header comment are written with these numbers)

constexpr int kPromptThreads = 128;                           // blockDim.x of every kernel here
constexpr int kPromptRowsPerBlock = kPromptThreads / 32;      // one sequence row per warp
constexpr int kPromptColsPerBlock = 32 * 8;                   // 8 columns per lane
constexpr int kPromptUnroll = 4;                              // examples gathered at once per thread
constexpr int kLowRankARows = 4;                              // lowrank_a: rows i per block
constexpr int kLowRankKs = 8;                                 // lowrank_a/b: ranks k per block
constexpr int kLowRankBCols = 32 * 4;                         // lowrank_b: 4 columns per lane

// ---------------------------------------------------------------------------------------------------
// low-rank row: acc[j] = scale · Σ_k A[i, k] · B[k, col0 + j] for j < 8 (j < n on the scalar path)

template <bool VEC>
__device__ __forceinline__ void lowrank_row(const float* __restrict__ aRow,    // (r)     row i of A_p
                                            const float* __restrict__ bCols,   // (r, d)  B_p from column col0
                                            int rank, long long dim, float scale, int n, float (&acc)[8])
{
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[j] = 0.0f;
#pragma unroll 4
    for (int k = 0; k < rank; ++k) {
        const float ak = aRow[k];
        float bk[8];
        load8_any<VEC>(bCols + k * dim, n, bk);
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[j] += ak * bk[j];
    }
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[j] *= scale;
}

// ---------------------------------------------------------------------------------------------------
// forward

// what prompt p adds to output row t (8 columns from col0): P[p, t] for t < m, else the low-rank row
template <bool VEC>
__device__ __forceinline__ void forward_addend(const PromptInputForwardArgs& a, bool lowRank, int t, int p, int col0, int n,
                                               float (&add)[8])
{
    const long long d = a.dim;
    if (t < a.promptLen) {
        load8_any<VEC>(a.prompt + (static_cast<long long>(p) * a.promptLen + t) * d + col0, n, add);
        return;
    }
    const int i = t - a.promptLen;
    if (a.delta != nullptr) {
        load8_any<VEC>(a.delta + (static_cast<long long>(p) * a.maxLen + i) * d + col0, n, add);
    } else if (lowRank) {
        lowrank_row<VEC>(a.lowRankA + (static_cast<long long>(p) * a.maxLen + i) * a.rank,
                         a.lowRankB + static_cast<long long>(p) * a.rank * d + col0, a.rank, d, a.lowRankScale, n, add);
    } else {
#pragma unroll
        for (int j = 0; j < 8; ++j) add[j] = 0.0f;
    }
}

// one warp: output row t, columns [col0, col0 + 8) of the examples [b0, b1)
template <typename OutT, typename EmbT, int UNROLL, bool VEC>
__device__ __forceinline__ void forward_row(const PromptInputForwardArgs& a, int t, int col0, int b0, int b1)
{
    OutT* __restrict__ out = static_cast<OutT*>(a.out);
    const EmbT* __restrict__ emb = static_cast<const EmbT*>(a.emb);
    const int* __restrict__ ids = a.ids;
    const long long d = a.dim;
    const int rows = a.promptLen + a.seqLen;
    const int n = imin(8, a.dim - col0);
    const bool promptRow = t < a.promptLen;
    const int i = t - a.promptLen;
    const bool reporter = blockIdx.x == 0 && (threadIdx.x & 31) == 0;
    const bool lowRank = a.delta != nullptr || (a.rank > 0 && a.lowRankA != nullptr && a.lowRankB != nullptr);

    // a token row past the low-rank table (L > s) has no addend row to read: it is written as zeros
    const bool rowOk = promptRow || !lowRank || i < a.maxLen;
    if (!rowOk && reporter) report_error(a.errorFlag, DEPT_ERR_SEQ_LONGER_THAN_MAX, a.seqLen, i, a.maxLen);

    float add[8];
    int addPrompt = -1;   // prompt whose addend is in add[]
    for (int bb = b0; bb < b1; bb += UNROLL) {
        // UNROLL examples at once, without a branch between a load and the next one, so that their
        // index loads, then their gathers, are in flight together: (1) prompt indices and token ids
        // (a slot past b1 re-reads example b1 - 1 and is dropped), (2) validity, (3) the gathers
        bool live[UNROLL], good[UNROLL];
        int p[UNROLL], id[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int b = imin(bb + u, b1 - 1);
            live[u] = bb + u < b1;
            p[u] = a.promptIndex != nullptr ? a.promptIndex[b] : 0;
            id[u] = promptRow ? 0 : ids[static_cast<long long>(b) * a.seqLen + i];
        }
        bool anyBad = false;
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const bool ok = p[u] >= 0 && p[u] < a.numPrompts && (promptRow || (id[u] >= 0 && id[u] < a.vocab));
            good[u] = live[u] && rowOk && ok;
            anyBad |= live[u] && rowOk && !ok;
        }
        Row8<EmbT, VEC> e[UNROLL];
        if (!promptRow) {
#pragma unroll
            for (int u = 0; u < UNROLL; ++u)
                if (good[u]) e[u].load(emb + static_cast<long long>(id[u]) * d + col0, n);
        }
        if (anyBad && reporter) {
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                if (!live[u] || good[u]) continue;
                const int b = bb + u;
                if (p[u] < 0 || p[u] >= a.numPrompts) report_error(a.errorFlag, DEPT_ERR_PROMPT_INDEX, p[u], b, a.numPrompts);
                else report_error(a.errorFlag, DEPT_ERR_TOKEN_ID, id[u], b * a.seqLen + i, a.vocab);
            }
        }
        // combine and store; the addend is recomputed only when the prompt changes
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            if (!live[u]) continue;
            float v[8];
            if (good[u]) {
                if (p[u] != addPrompt) {
                    forward_addend<VEC>(a, lowRank, t, p[u], col0, n, add);
                    addPrompt = p[u];
                }
#pragma unroll
                for (int j = 0; j < 8; ++j) v[j] = add[j];
                if (!promptRow) {
                    float x[8];
                    e[u].unpack(x);
#pragma unroll
                    for (int j = 0; j < 8; ++j) v[j] += x[j] * a.embScale;
                }
            } else {
#pragma unroll
                for (int j = 0; j < 8; ++j) v[j] = 0.0f;
            }
            store8_any<VEC>(out + (static_cast<long long>(bb + u) * rows + t) * d + col0, n, v);
        }
    }
}

template <typename OutT, typename EmbT, int UNROLL>
__device__ __forceinline__ void prompt_input_forward_impl(const PromptInputForwardArgs& a)
{
    const int t = blockIdx.y * kPromptRowsPerBlock + (threadIdx.x >> 5);
    const int col0 = blockIdx.x * kPromptColsPerBlock + (threadIdx.x & 31) * 8;
    if (t >= a.promptLen + a.seqLen || col0 >= a.dim) return;
    const int chunk = ceil_div(a.batch, static_cast<int>(gridDim.z));
    const int b0 = blockIdx.z * chunk;
    const int b1 = imin(a.batch, b0 + chunk);
    if (b0 >= b1) return;
    const bool vec = (a.dim & 7) == 0 && is_aligned16(a.out) && is_aligned16(a.emb) && is_aligned16(a.prompt) &&
                     is_aligned16(a.lowRankB) && is_aligned16(a.delta);
    if (vec) forward_row<OutT, EmbT, UNROLL, true>(a, t, col0, b0, b1);
    else forward_row<OutT, EmbT, UNROLL, false>(a, t, col0, b0, b1);
}

// block 128; grid (ceil(d / 256), ceil((m + L) / 4), batchSplit), 1 <= batchSplit <= B
extern "C" __global__ void __launch_bounds__(kPromptThreads) prompt_input_forward_f32out_f32emb(const PromptInputForwardArgs args)
{
    prompt_input_forward_impl<float, float, kPromptUnroll>(args);
}

// block 128; grid (ceil(d / 256), ceil((m + L) / 4), batchSplit), 1 <= batchSplit <= B
extern "C" __global__ void __launch_bounds__(kPromptThreads) prompt_input_forward_f32out_bf16emb(const PromptInputForwardArgs args)
{
    prompt_input_forward_impl<float, bf16, kPromptUnroll>(args);
}

// block 128; grid (ceil(d / 256), ceil((m + L) / 4), batchSplit), 1 <= batchSplit <= B
extern "C" __global__ void __launch_bounds__(kPromptThreads) prompt_input_forward_bf16out_f32emb(const PromptInputForwardArgs args)
{
    prompt_input_forward_impl<bf16, float, kPromptUnroll>(args);
}

// block 128; grid (ceil(d / 256), ceil((m + L) / 4), batchSplit), 1 <= batchSplit <= B
extern "C" __global__ void __launch_bounds__(kPromptThreads) prompt_input_forward_bf16out_bf16emb(const PromptInputForwardArgs args)
{
    prompt_input_forward_impl<bf16, bf16, kPromptUnroll>(args);
}

// ---------------------------------------------------------------------------------------------------
// backward, step 1: reduce dinp over the batch per prompt: dprompt += (rows t < m), workspace = (rows t >= m)

// one warp: row t, columns [col0, col0 + 8), all examples, every prompt in turn (one pass over dinp per
// prompt; an example's row is loaded only under its own prompt, so dinp is read once in total)
template <typename InT, int UNROLL, bool VEC>
__device__ __forceinline__ void backward_reduce_row(const PromptInputBackwardArgs& a, int t, int col0)
{
    const InT* __restrict__ dinp = static_cast<const InT*>(a.dinp);
    const long long d = a.dim;
    const int rows = a.promptLen + a.seqLen;
    const int n = imin(8, a.dim - col0);
    const bool promptRow = t < a.promptLen;
    const bool reporter = blockIdx.x == 0 && threadIdx.x == 0;   // warp 0 of the blocks of column slice 0

    for (int p = 0; p < a.numPrompts; ++p) {
        float acc[8];
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[j] = 0.0f;
        int count = 0;
        for (int bb = 0; bb < a.batch; bb += UNROLL) {
            // all prompt indices first, then the (predicated) row loads, so UNROLL rows are in flight
            int q[UNROLL];
#pragma unroll
            for (int u = 0; u < UNROLL; ++u)
                q[u] = a.promptIndex != nullptr ? a.promptIndex[imin(bb + u, a.batch - 1)] : 0;
            bool take[UNROLL];
            Row8<InT, VEC> g[UNROLL];
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                take[u] = bb + u < a.batch && q[u] == p;
                if (take[u]) g[u].load(dinp + (static_cast<long long>(bb + u) * rows + t) * d + col0, n);
            }
            if (p == 0 && reporter) {
#pragma unroll
                for (int u = 0; u < UNROLL; ++u)
                    if (bb + u < a.batch && (q[u] < 0 || q[u] >= a.numPrompts))
                        report_error(a.errorFlag, DEPT_ERR_PROMPT_INDEX, q[u], bb + u, a.numPrompts);
            }
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                if (!take[u]) continue;
                ++count;
                float x[8];
                g[u].unpack(x);
#pragma unroll
                for (int j = 0; j < 8; ++j) acc[j] += x[j];
            }
        }
        if (promptRow) {
            if (count > 0) {   // a prompt no example uses keeps its gradient untouched
                float* dst = a.dprompt + (static_cast<long long>(p) * a.promptLen + t) * d + col0;
                float cur[8];
                load8_any<VEC>(dst, n, cur);
#pragma unroll
                for (int j = 0; j < 8; ++j) cur[j] += acc[j];
                store8_any<VEC>(dst, n, cur);
            }
        } else {
            store8_any<VEC>(a.workspace + (static_cast<long long>(p) * a.seqLen + (t - a.promptLen)) * d + col0, n, acc);
        }
    }
}

template <typename InT>
__device__ __forceinline__ void prompt_input_backward_reduce_impl(const PromptInputBackwardArgs& a)
{
    const int t = blockIdx.y * kPromptRowsPerBlock + (threadIdx.x >> 5);
    const int col0 = blockIdx.x * kPromptColsPerBlock + (threadIdx.x & 31) * 8;
    if (blockIdx.z != 0 || t >= a.promptLen + a.seqLen || col0 >= a.dim) return;
    const bool vec = (a.dim & 7) == 0 && is_aligned16(a.dinp) && is_aligned16(a.dprompt) && is_aligned16(a.workspace);
    if (vec) backward_reduce_row<InT, kPromptUnroll, true>(a, t, col0);
    else backward_reduce_row<InT, kPromptUnroll, false>(a, t, col0);
}

// block 128; grid (ceil(d / 256), ceil((m + L) / 4), 1)
extern "C" __global__ void __launch_bounds__(kPromptThreads) prompt_input_backward_reduce_f32(const PromptInputBackwardArgs args)
{
    prompt_input_backward_reduce_impl<float>(args);
}

// block 128; grid (ceil(d / 256), ceil((m + L) / 4), 1)
extern "C" __global__ void __launch_bounds__(kPromptThreads) prompt_input_backward_reduce_bf16(const PromptInputBackwardArgs args)
{
    prompt_input_backward_reduce_impl<bf16>(args);
}

// ---------------------------------------------------------------------------------------------------
// backward, step 2a: dA[p, i, k] += scale · Σ_j S[p, i, j] · B[p, k, j]   for i < min(L, s), k < r
// A block owns 4 rows i x 8 ranks k of one prompt; its 128 threads split the d-long dot products
// (16-byte loads when d % 4 == 0), then reduce through warp shuffles and shared memory. Every output
// element is written by one thread, so the += is deterministic.

// block 128; grid (ceil(L / 4), ceil(r / 8), P); reads workspace written by backward_reduce
extern "C" __global__ void __launch_bounds__(kPromptThreads) prompt_input_backward_lowrank_a(const PromptInputBackwardArgs args)
{
    const PromptInputBackwardArgs& a = args;
    __shared__ float partial[kPromptThreads / 32][kLowRankARows * kLowRankKs];   // [warp][row * 8 + k]
    const int p = blockIdx.z;
    const int i0 = blockIdx.x * kLowRankARows;
    const int k0 = blockIdx.y * kLowRankKs;
    const int rowsWithA = imin(a.seqLen, a.maxLen);   // A_p has s rows
    const long long d = a.dim;
    if (a.seqLen > a.maxLen && blockIdx.x == 0 && blockIdx.y == 0 && blockIdx.z == 0 && threadIdx.x == 0)
        report_error(a.errorFlag, DEPT_ERR_SEQ_LONGER_THAN_MAX, a.seqLen, a.maxLen, a.maxLen);

    float acc[kLowRankARows][kLowRankKs];
#pragma unroll
    for (int ii = 0; ii < kLowRankARows; ++ii)
#pragma unroll
        for (int kk = 0; kk < kLowRankKs; ++kk) acc[ii][kk] = 0.0f;

    if (p < a.numPrompts) {
        const float* __restrict__ S = a.workspace + static_cast<long long>(p) * a.seqLen * d;     // (L, d)
        const float* __restrict__ B = a.lowRankB + static_cast<long long>(p) * a.rank * d;        // (r, d)
        const int nRows = imin(kLowRankARows, rowsWithA - i0);   // may be <= 0: the block then writes nothing
        const int nKs = imin(kLowRankKs, a.rank - k0);
        const bool vec = (a.dim & 3) == 0 && is_aligned16(a.workspace) && is_aligned16(a.lowRankB);
        if (vec) {
            for (long long j = threadIdx.x * 4; j < d; j += kPromptThreads * 4) {
                float4 s[kLowRankARows], b[kLowRankKs];
#pragma unroll
                for (int ii = 0; ii < kLowRankARows; ++ii)
                    if (ii < nRows) s[ii] = *reinterpret_cast<const float4*>(S + (i0 + ii) * d + j);
                    else s[ii].x = s[ii].y = s[ii].z = s[ii].w = 0.0f;
#pragma unroll
                for (int kk = 0; kk < kLowRankKs; ++kk)
                    if (kk < nKs) b[kk] = *reinterpret_cast<const float4*>(B + (k0 + kk) * d + j);
                    else b[kk].x = b[kk].y = b[kk].z = b[kk].w = 0.0f;
#pragma unroll
                for (int ii = 0; ii < kLowRankARows; ++ii)
#pragma unroll
                    for (int kk = 0; kk < kLowRankKs; ++kk)
                        acc[ii][kk] += s[ii].x * b[kk].x + s[ii].y * b[kk].y + s[ii].z * b[kk].z + s[ii].w * b[kk].w;
            }
        } else {
            for (long long j = threadIdx.x; j < d; j += kPromptThreads) {
                float s[kLowRankARows], b[kLowRankKs];
#pragma unroll
                for (int ii = 0; ii < kLowRankARows; ++ii) s[ii] = ii < nRows ? S[(i0 + ii) * d + j] : 0.0f;
#pragma unroll
                for (int kk = 0; kk < kLowRankKs; ++kk) b[kk] = kk < nKs ? B[(k0 + kk) * d + j] : 0.0f;
#pragma unroll
                for (int ii = 0; ii < kLowRankARows; ++ii)
#pragma unroll
                    for (int kk = 0; kk < kLowRankKs; ++kk) acc[ii][kk] += s[ii] * b[kk];
            }
        }
    }

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
#pragma unroll
    for (int ii = 0; ii < kLowRankARows; ++ii)
#pragma unroll
        for (int kk = 0; kk < kLowRankKs; ++kk) {
            const float v = warp_sum(acc[ii][kk]);
            if (lane == 0) partial[warp][ii * kLowRankKs + kk] = v;
        }
    __syncthreads();
    if (threadIdx.x < kLowRankARows * kLowRankKs && p < a.numPrompts) {
        const int ii = threadIdx.x / kLowRankKs, kk = threadIdx.x % kLowRankKs;
        const int i = i0 + ii, k = k0 + kk;
        if (i < rowsWithA && k < a.rank) {
            float sum = 0.0f;
#pragma unroll
            for (int w = 0; w < kPromptThreads / 32; ++w) sum += partial[w][threadIdx.x];
            a.dlowRankA[(static_cast<long long>(p) * a.maxLen + i) * a.rank + k] += a.lowRankScale * sum;
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// backward, step 2b: dB[p, k, j] += scale · Σ_{i < min(L, s)} A[p, i, k] · S[p, i, j]
// A block owns 8 ranks k x 128 columns j of one prompt; lane = 4 columns, warp w sums the rows i ≡ w
// (mod 4); the 4 warps' partial sums meet in shared memory and one thread writes each output element.

// block 128; grid (ceil(d / 128), ceil(r / 8), P); reads workspace written by backward_reduce
extern "C" __global__ void __launch_bounds__(kPromptThreads) prompt_input_backward_lowrank_b(const PromptInputBackwardArgs args)
{
    const PromptInputBackwardArgs& a = args;
    constexpr int kWarps = kPromptThreads / 32;
    __shared__ float4 partial[kWarps][kLowRankKs][32];   // [warp][k][lane] = 4 columns
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int p = blockIdx.z;
    const int k0 = blockIdx.y * kLowRankKs;
    const int j0 = blockIdx.x * kLowRankBCols + lane * 4;
    const int rowsWithA = imin(a.seqLen, a.maxLen);
    const long long d = a.dim;
    if (a.seqLen > a.maxLen && blockIdx.x == 0 && blockIdx.y == 0 && blockIdx.z == 0 && threadIdx.x == 0)
        report_error(a.errorFlag, DEPT_ERR_SEQ_LONGER_THAN_MAX, a.seqLen, a.maxLen, a.maxLen);

    float acc[kLowRankKs][4];
#pragma unroll
    for (int kk = 0; kk < kLowRankKs; ++kk)
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[kk][c] = 0.0f;

    if (p < a.numPrompts && j0 < a.dim) {
        const float* __restrict__ S = a.workspace + static_cast<long long>(p) * a.seqLen * d + j0;    // (L, d) from column j0
        const float* __restrict__ A = a.lowRankA + static_cast<long long>(p) * a.maxLen * a.rank + k0;  // (s, r) from rank k0
        const int nKs = imin(kLowRankKs, a.rank - k0);
        const int n = imin(4, a.dim - j0);
        const bool vec = (a.dim & 3) == 0 && is_aligned16(a.workspace);
#pragma unroll 4
        for (int i = warp; i < rowsWithA; i += kWarps) {
            float s[4];
            if (vec) {
                const float4 s4 = *reinterpret_cast<const float4*>(S + i * d);
                s[0] = s4.x; s[1] = s4.y; s[2] = s4.z; s[3] = s4.w;
            } else {
#pragma unroll
                for (int c = 0; c < 4; ++c) s[c] = c < n ? S[i * d + c] : 0.0f;
            }
#pragma unroll
            for (int kk = 0; kk < kLowRankKs; ++kk) {
                const float aik = kk < nKs ? A[static_cast<long long>(i) * a.rank + kk] : 0.0f;
#pragma unroll
                for (int c = 0; c < 4; ++c) acc[kk][c] += aik * s[c];
            }
        }
    }

#pragma unroll
    for (int kk = 0; kk < kLowRankKs; ++kk) {
        float4 v;
        v.x = acc[kk][0]; v.y = acc[kk][1]; v.z = acc[kk][2]; v.w = acc[kk][3];
        partial[warp][kk][lane] = v;
    }
    __syncthreads();
    const int j = blockIdx.x * kLowRankBCols + threadIdx.x;   // one column per thread now
    if (p < a.numPrompts && j < a.dim) {
#pragma unroll
        for (int kk = 0; kk < kLowRankKs; ++kk) {
            const int k = k0 + kk;
            if (k >= a.rank) break;
            float sum = 0.0f;
#pragma unroll
            for (int w = 0; w < kWarps; ++w) sum += reinterpret_cast<const float*>(partial[w][kk])[threadIdx.x];
            a.dlowRankB[(static_cast<long long>(p) * a.rank + k) * d + j] += a.lowRankScale * sum;
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// serving: delta[p, i] = scale · A[p, i] · B[p] for every row i < s (then the forward reads delta rows)

// block 128; grid (ceil(d / 256), ceil(s / 4), P)
extern "C" __global__ void __launch_bounds__(kPromptThreads) prompt_lowrank_delta(const LowRankDeltaArgs args)
{
    const LowRankDeltaArgs& a = args;
    const int i = blockIdx.y * kPromptRowsPerBlock + (threadIdx.x >> 5);
    const int col0 = blockIdx.x * kPromptColsPerBlock + (threadIdx.x & 31) * 8;
    const int p = blockIdx.z;
    if (i >= a.maxLen || col0 >= a.dim || p >= a.numPrompts) return;
    const long long d = a.dim;
    const int n = imin(8, a.dim - col0);
    const float* aRow = a.lowRankA + (static_cast<long long>(p) * a.maxLen + i) * a.rank;
    const float* bCols = a.lowRankB + static_cast<long long>(p) * a.rank * d + col0;
    float* dst = a.delta + (static_cast<long long>(p) * a.maxLen + i) * d + col0;
    float v[8];
    if ((a.dim & 7) == 0 && is_aligned16(a.delta) && is_aligned16(a.lowRankB)) {
        lowrank_row<true>(aRow, bCols, a.rank, d, a.lowRankScale, n, v);
        store8(dst, v);
    } else {
        lowrank_row<false>(aRow, bCols, a.rank, d, a.lowRankScale, n, v);
        store8_scalar(dst, n, v);
    }
}

// ---------------------------------------------------------------------------------------------------
// host launchers (nvcc only; the C# side reproduces the same grids from the comments above)

#if !defined(__CUDACC_RTC__)

inline dim3 prompt_input_forward_grid(const PromptInputForwardArgs& a, int batchSplit)
{
    return dim3((a.dim + kPromptColsPerBlock - 1) / kPromptColsPerBlock,
                (a.promptLen + a.seqLen + kPromptRowsPerBlock - 1) / kPromptRowsPerBlock, batchSplit);
}

// the batchSplit rule of the header comment
inline int prompt_input_forward_batch_split(const PromptInputForwardArgs& a, int numSMs)
{
    const dim3 g = prompt_input_forward_grid(a, 1);
    const long long blocks = static_cast<long long>(g.x) * g.y;
    long long split = (4ll * numSMs + blocks - 1) / blocks;
    if (split < 1) split = 1;
    if (split > a.batch) split = a.batch;
    return static_cast<int>(split);
}

template <typename OutT, typename EmbT> inline void prompt_input_forward(const PromptInputForwardArgs& a, int batchSplit, cudaStream_t stream);
template <> inline void prompt_input_forward<float, float>(const PromptInputForwardArgs& a, int batchSplit, cudaStream_t stream)
{
    prompt_input_forward_f32out_f32emb<<<prompt_input_forward_grid(a, batchSplit), kPromptThreads, 0, stream>>>(a);
}
template <> inline void prompt_input_forward<float, bf16>(const PromptInputForwardArgs& a, int batchSplit, cudaStream_t stream)
{
    prompt_input_forward_f32out_bf16emb<<<prompt_input_forward_grid(a, batchSplit), kPromptThreads, 0, stream>>>(a);
}
template <> inline void prompt_input_forward<bf16, float>(const PromptInputForwardArgs& a, int batchSplit, cudaStream_t stream)
{
    prompt_input_forward_bf16out_f32emb<<<prompt_input_forward_grid(a, batchSplit), kPromptThreads, 0, stream>>>(a);
}
template <> inline void prompt_input_forward<bf16, bf16>(const PromptInputForwardArgs& a, int batchSplit, cudaStream_t stream)
{
    prompt_input_forward_bf16out_bf16emb<<<prompt_input_forward_grid(a, batchSplit), kPromptThreads, 0, stream>>>(a);
}

// backward: reduce (dprompt +=, workspace =), then, when r > 0, dA += and dB += from the workspace
template <typename InT> inline void prompt_input_backward(const PromptInputBackwardArgs& a, cudaStream_t stream)
{
    const dim3 reduceGrid((a.dim + kPromptColsPerBlock - 1) / kPromptColsPerBlock,
                          (a.promptLen + a.seqLen + kPromptRowsPerBlock - 1) / kPromptRowsPerBlock, 1);
    if (sizeof(InT) == 4) prompt_input_backward_reduce_f32<<<reduceGrid, kPromptThreads, 0, stream>>>(a);
    else prompt_input_backward_reduce_bf16<<<reduceGrid, kPromptThreads, 0, stream>>>(a);
    if (a.rank == 0 || a.numPrompts == 0) return;
    const dim3 gridA((a.seqLen + kLowRankARows - 1) / kLowRankARows, (a.rank + kLowRankKs - 1) / kLowRankKs, a.numPrompts);
    prompt_input_backward_lowrank_a<<<gridA, kPromptThreads, 0, stream>>>(a);
    const dim3 gridB((a.dim + kLowRankBCols - 1) / kLowRankBCols, (a.rank + kLowRankKs - 1) / kLowRankKs, a.numPrompts);
    prompt_input_backward_lowrank_b<<<gridB, kPromptThreads, 0, stream>>>(a);
}

inline void prompt_lowrank_delta_launch(const LowRankDeltaArgs& a, cudaStream_t stream)
{
    const dim3 grid((a.dim + kPromptColsPerBlock - 1) / kPromptColsPerBlock,
                    (a.maxLen + kPromptRowsPerBlock - 1) / kPromptRowsPerBlock, a.numPrompts);
    prompt_lowrank_delta<<<grid, kPromptThreads, 0, stream>>>(a);
}

#endif
