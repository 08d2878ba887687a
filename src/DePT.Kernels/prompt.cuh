/*
DePT encoder input: soft prompt + frozen embeddings + low-rank update, forward and backward.

Shapes: B batch, L input length (right-padded ids), m prompt length, d model width, r rank, s maximum
input length (rows of A), V vocabulary, P number of prompts; T = m + L rows per example.

Forward, for every example b with prompt p = promptIndex[b] (0 when promptIndex is null) and row offset
o_b = rowOffset[b] (0 when rowOffset is null):
    out[b, t]   = prompt[p, t]                                            t < m
    out[b, m+i] = Emb[ids[b, i]] * embScale + lowRank[p, i − o_b]         i < L   (no low-rank term where i < o_b)
    lowRank[p, j] = delta[p, j]                         when delta is given (inference: delta = scale·A·B)
                  = scale · Σ_k A[p, j, k] · B[p, k, :]  when r > 0 (training), scale = lowRankScale
                  = 0                                    when r == 0 and delta is null (vanilla prompt tuning)
The row offset aligns A's rows with the real tokens whatever the padding side: a left-padded example with o_b
pad tokens gives its first real token row 0 of A, as the same example right-padded does (offsets in [0, L]).
Backward, with G = dinp:
    workspace[p] = S_p,  S_p[j] = Σ_{b: p_b = p, j + o_b < L} G[b, m + j + o_b, :]        (L, d)
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
    forward    see "Forward geometry" below
    reduce     grid (ceil(d / 256), ceil((m + L) / 4), 1)
    lowrank_a  grid (ceil(L / 4),   ceil(r / 8),       P)              launch only when r > 0
    lowrank_b  grid (ceil(d / 128), ceil(r / 8),       P)              launch only when r > 0
    delta      grid (ceil(d / 256), ceil(s / 4),       P)              launch only when r > 0
Reduce and delta: each warp owns one sequence row, each lane 8 consecutive columns, so a block covers
4 rows x 256 columns.

Forward geometry (constants kForward* in the forward section; CudaBackend mirrors kForwardRows,
kForwardSplitTarget and kForwardPersistent). A block is a tile of R = kForwardRows rows x C = 1024 / R
columns: its 4 warps each own one row and 256 columns (a lane 8 columns); tiles = ceil(d / C) · ceil((m + L) / R).
A warp computes its addend row (prompt row or low-rank row) once and reuses it for every example it
handles, recomputing only when the prompt index changes from one example to the next.
    tiled (kForwardPersistent == 0): grid (ceil(d / C), ceil((m + L) / R), batchSplit), 1 <= batchSplit <= B,
        batchSplit = min(B, max(1, ceil(kForwardSplitTarget · numSMs / tiles)));
        z-slice z handles examples [z·chunk, min(B, (z+1)·chunk)), chunk = ceil(B / gridDim.z) (slices past B do nothing)
    persistent (kForwardPersistent = n > 0): grid (min(n · numSMs, tiles · B), 1, 1); the tiles · B work units
        (tile, example), tile-major, are cut into gridDim.x contiguous ranges of equal size, one per block
Each extra batch slice (or, persistent, each extra tile a block starts) recomputes low-rank rows: r·C·4 bytes
of B per tile from L2. kernel-lab/prompt_input measures the configurations and the batchSplit rule.

Vector path: 16-byte loads/stores when the row length allows it (d % 8 == 0 for forward/reduce/delta,
d % 4 == 0 for lowrank_a/b) and the tensors' base pointers are 16-byte aligned; otherwise a scalar path
with the same results. No alignment is required from the caller.

Errors (errorFlag, see common.cuh; first wins): token id outside [0, V) -> code 1 and that output row is
zeros; prompt index outside [0, P) -> code 2, the example's rows are zeros (forward) or the example is
skipped (backward); L > s while a low-rank term is in use -> code 3 and the rows i >= s get no addend
(forward: zeros) or no gradient (dA, dB); a row offset outside [0, L] -> code 5, handled as a bad prompt index.
Nothing is read out of bounds in any of these cases.

Row offsets leave the training path (one prompt, no offsets: forward_one_prompt) untouched: with offsets the
forward takes the per-example path (forward_many_prompts), whose addend is recomputed when an example's
(prompt, low-rank row) differs from the previous example's.

For the caller (the C# mirror): struct sizes are 120 (forward), 112 (backward) and 48 (delta) bytes.
P >= 1; prompt may be null only when m == 0; lowRankA/lowRankB must be set when r > 0 and delta is null
(the forward skips the low-rank term otherwise); errorFlag may be null (errors then go unreported).
workspace holds P·L·d floats; lowrank_a and lowrank_b read it, so they follow the reduce on one stream.
Grid y and z stay far below 65535 for any real shape (ceil((m+L)/R), batchSplit <= B, P).
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
    const int* rowOffset;     // (B)           token row i of example b takes low-rank row i − rowOffset[b], or null: 0
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
    const int* rowOffset;     // (B) or null, as in the forward
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
static_assert(sizeof(PromptInputForwardArgs) == 120, "PromptInputForwardArgs layout changed: update the C# mirror");
static_assert(sizeof(PromptInputBackwardArgs) == 112, "PromptInputBackwardArgs layout changed: update the C# mirror");
static_assert(sizeof(LowRankDeltaArgs) == 48, "LowRankDeltaArgs layout changed: update the C# mirror");

// ---------------------------------------------------------------------------------------------------
// geometry constants (the formulas in the header comment are written with these numbers)

constexpr int kPromptThreads = 128;                           // blockDim.x of every kernel here
constexpr int kPromptRowsPerBlock = kPromptThreads / 32;      // one sequence row per warp
constexpr int kPromptColsPerBlock = 32 * 8;                   // 8 columns per lane
constexpr int kPromptUnroll = 4;                              // backward reduce: examples loaded at once per thread
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
//
// One template body, prompt_input_forward_body<Cfg, OutT, EmbT>, under a configuration PromptForwardConfig:
// the kernel lab (kernel-lab/prompt_input) times it under several configurations, and the library kernels
// below instantiate the one that the kForward* constants name. To adopt another configuration, change the
// constants here and, for kForwardRows, kForwardSplitTarget and kForwardPersistent, their mirrors in
// CudaBackend (the grid and the batchSplit rule); the others change only the kernel body.

constexpr int kForwardRows = 4;               // rows per block: 1, 2 or 4; a block is kForwardRows x (1024 / kForwardRows) columns
constexpr int kForwardUnroll = 4;             // 16-byte gathers in flight per thread (examples at once: 4 of bf16 Emb, 2 of fp32)
constexpr int kForwardMinBlocks = 8;          // __launch_bounds__ minimum resident blocks per SM (8: at most 64 registers; 1: no cap)
constexpr bool kForwardPrefetch = true;       // the next group's ids are loaded while this group's rows are in flight
constexpr bool kForwardStreamStores = false;  // out written with st.global.cs (evict-first): this kernel never reads it back
constexpr bool kForwardHwConvert = true;      // bf16 out packed by cvt.rn.bf16x2.f32 (sm_80 and newer) instead of integer rounding
constexpr int kForwardLowRank = 4;            // low-rank rows: 0: each warp sums its row from global memory (4 ranks per load
                                              // round); n > 0: the block stages B through shared memory, n float4 per thread a round
constexpr int kForwardPersistent = 0;         // 0: tiled grid (x, y, batchSplit); n > 0: n · numSMs blocks share out the work
constexpr int kForwardSplitTarget = 3;        // tiled grid: batchSplit aims at this many blocks per SM

template <int ROWS, int UNROLL, int MIN_BLOCKS, bool PREFETCH, bool STREAM_STORES, bool HW_CONVERT, int LOWRANK, int PERSISTENT,
          int SPLIT_TARGET>
struct PromptForwardConfig {
    static_assert(ROWS == 1 || ROWS == 2 || ROWS == 4, "rows per block: 1, 2 or 4 (the 4 warps of a block split into rows)");
    static_assert(UNROLL >= 1 && MIN_BLOCKS >= 1 && LOWRANK >= 0 && PERSISTENT >= 0 && SPLIT_TARGET >= 1, "config out of range");
    static constexpr int kRows = ROWS;
    static constexpr int kWarpsPerRow = kPromptThreads / 32 / ROWS;
    static constexpr int kCols = kWarpsPerRow * 32 * 8;   // columns per block
    static constexpr int kUnroll = UNROLL;
    static constexpr int kMinBlocks = MIN_BLOCKS;
    static constexpr bool kPrefetch = PREFETCH;
    static constexpr bool kStreamStores = STREAM_STORES;
    static constexpr bool kHwConvert = HW_CONVERT;
    static constexpr int kLowRank = LOWRANK;
    static constexpr int kPersistent = PERSISTENT;
    static constexpr int kSplitTarget = SPLIT_TARGET;
    // block-staged low-rank sum: ranks per round, so that a round is LOWRANK float4 of B per thread
    static constexpr int kStagedRanks = LOWRANK * kPromptThreads * 4 / kCols;
    static_assert(LOWRANK == 0 || (kStagedRanks >= 1 && kStagedRanks <= 32 && LOWRANK * kPromptThreads * 4 == kStagedRanks * kCols),
                  "staged low-rank round: 1 to 32 whole ranks of the tile's columns");
};

using PromptForwardLibrary = PromptForwardConfig<kForwardRows, kForwardUnroll, kForwardMinBlocks, kForwardPrefetch, kForwardStreamStores,
                                                 kForwardHwConvert, kForwardLowRank, kForwardPersistent, kForwardSplitTarget>;

// the settings one code path runs with: the vector path takes the configuration; the scalar path (rows that
// are not 16-byte aligned or not a multiple of 8 long: rare, small models) one example at a time, plain
// stores and per-warp low-rank sums, so that it never sets the kernel's register count; so does the rare
// case of several prompts with low-rank sums (SERIAL), whose sums would not fit beside examples in flight
template <class Cfg, typename EmbT, bool VEC, bool SERIAL = false> struct ForwardPath {
    static constexpr int kExamples = !VEC || SERIAL ? 1 : sizeof(EmbT) == 2 ? Cfg::kUnroll : (Cfg::kUnroll + 1) / 2;
    static constexpr bool kPrefetch = VEC && !SERIAL && Cfg::kPrefetch;
    static constexpr bool kStreamStores = VEC && Cfg::kStreamStores;
    static constexpr bool kHwConvert = VEC && Cfg::kHwConvert;
    static constexpr bool kBlockLowRank = VEC && Cfg::kLowRank > 0;
    static constexpr int kWarpLowRankUnroll = VEC ? 4 : 1;
};

__device__ __forceinline__ float4 zero_float4()
{
    float4 v;
    v.x = v.y = v.z = v.w = 0.0f;
    return v;
}

// 16-byte store that marks its L2 lines evict-first (st.global.cs); a plain store off the device
__device__ __forceinline__ void store16_streaming(void* p, uint4 v)
{
#if defined(__CUDA_ARCH__)
    asm volatile("st.global.cs.v4.u32 [%0], {%1, %2, %3, %4};" ::"l"(p), "r"(v.x), "r"(v.y), "r"(v.z), "r"(v.w) : "memory");
#else
    *static_cast<uint4*>(p) = v;
#endif
}

// two floats to bf16 (nearest even) in one instruction on sm_80 and newer, lo in the low half; elsewhere the
// integer rounding of common.cuh (the two differ only in the payload of a NaN)
__device__ __forceinline__ unsigned int pack_bf16x2_hw(float lo, float hi)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    unsigned int r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
#else
    return pack_bf16x2(lo, hi);
#endif
}

template <bool STREAM, bool HW_CONVERT> __device__ __forceinline__ void forward_store8_vec(bf16* p, const float (&v)[8])
{
    uint4 w;
    if (HW_CONVERT) {
        w.x = pack_bf16x2_hw(v[0], v[1]);
        w.y = pack_bf16x2_hw(v[2], v[3]);
        w.z = pack_bf16x2_hw(v[4], v[5]);
        w.w = pack_bf16x2_hw(v[6], v[7]);
    } else {
        w = pack_bf16x8(v);
    }
    if (STREAM) store16_streaming(p, w);
    else *reinterpret_cast<uint4*>(p) = w;
}

template <bool STREAM, bool HW_CONVERT> __device__ __forceinline__ void forward_store8_vec(float* p, const float (&v)[8])
{
    if (!STREAM) {
        store8(p, v);
        return;
    }
    uint4 lo, hi;
    lo.x = __float_as_uint(v[0]); lo.y = __float_as_uint(v[1]); lo.z = __float_as_uint(v[2]); lo.w = __float_as_uint(v[3]);
    hi.x = __float_as_uint(v[4]); hi.y = __float_as_uint(v[5]); hi.z = __float_as_uint(v[6]); hi.w = __float_as_uint(v[7]);
    store16_streaming(p, lo);
    store16_streaming(p + 4, hi);
}

template <class Path, bool VEC, typename OutT> __device__ __forceinline__ void forward_store8(OutT* p, int n, const float (&v)[8])
{
    if (VEC) forward_store8_vec<Path::kStreamStores, Path::kHwConvert>(p, v);
    else store8_scalar(p, n, v);
}

// one warp's low-rank row: acc[j] = scale · Σ_k A[i, k] · B[k, col0 + j], the B columns of KU ranks loaded
// before any of them is used
template <bool VEC, int KU>
__device__ __forceinline__ void forward_lowrank_row(const float* __restrict__ aRow,    // (r)     row i of A_p
                                                    const float* __restrict__ bCols,   // (r, d)  B_p from column col0
                                                    int rank, long long dim, float scale, int n, float (&acc)[8])
{
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[j] = 0.0f;
    int k = 0;
    for (; k + KU <= rank; k += KU) {
        float ak[KU], bk[KU][8];
#pragma unroll
        for (int kk = 0; kk < KU; ++kk) {
            ak[kk] = aRow[k + kk];
            load8_any<VEC>(bCols + (k + kk) * dim, n, bk[kk]);
        }
#pragma unroll
        for (int kk = 0; kk < KU; ++kk)
#pragma unroll
            for (int j = 0; j < 8; ++j) acc[j] += ak[kk] * bk[kk][j];
    }
    for (; k < rank; ++k) {
        const float ak = aRow[k];
        float bk[8];
        load8_any<VEC>(bCols + k * dim, n, bk);
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[j] += ak * bk[j];
    }
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[j] *= scale;
}

// what prompt p adds to output row t (8 columns from col0), one warp: P[p, t] for t < m, else the low-rank row
template <bool VEC, int KU>
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
        forward_lowrank_row<VEC, KU>(a.lowRankA + (static_cast<long long>(p) * a.maxLen + i) * a.rank,
                                     a.lowRankB + static_cast<long long>(p) * a.rank * d + col0, a.rank, d, a.lowRankScale, n, add);
    } else {
#pragma unroll
        for (int j = 0; j < 8; ++j) add[j] = 0.0f;
    }
}

// The low-rank rows of prompt 0 for a whole tile (vector path, B and A given): every thread of the block
// takes part (it has __syncthreads); a round stages kStagedRanks ranks of B's tile columns in shared memory
// (Cfg::kLowRank float4 loads per thread, all in flight together, the next round's issued before this one is
// summed) and each warp's row of A (rowHasA: the warp's row is a token row i < s; the same in all its lanes,
// which stage A[i] together); every thread sums its 8 columns into acc.
template <class Cfg>
__device__ __forceinline__ void block_lowrank_rows(const PromptInputForwardArgs& a, int tileCol0, int colInTile, bool rowHasA, int i,
                                                   float (&acc)[8])
{
    constexpr int F4 = Cfg::kLowRank > 0 ? Cfg::kLowRank : 1;           // float4 of B per thread per round
    constexpr int KC = Cfg::kStagedRanks > 0 ? Cfg::kStagedRanks : 1;   // ranks per round (1: never called, kLowRank == 0)
    constexpr int ROW4 = Cfg::kCols / 4;          // float4 per rank row of the tile
    __shared__ float4 bTile[KC * ROW4];
    __shared__ float aTile[kPromptThreads / 32][KC];
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const long long d = a.dim;
    const float* __restrict__ aRow = a.lowRankA + static_cast<long long>(rowHasA ? i : 0) * a.rank;
    const float* __restrict__ bTileCols = a.lowRankB + tileCol0;

    float4 stage[F4];
    float aStage = 0.0f;
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[j] = 0.0f;
    for (int k0 = 0; k0 < a.rank; k0 += KC) {
        if (k0 == 0) {   // round 0's loads; later rounds' were issued during the previous round's sums
#pragma unroll
            for (int q = 0; q < F4; ++q) {
                const int f = threadIdx.x + q * kPromptThreads, k = f / ROW4, c = (f % ROW4) * 4;
                stage[q] = k < a.rank && tileCol0 + c < a.dim ? *reinterpret_cast<const float4*>(bTileCols + k * d + c)
                                                              : zero_float4();
            }
            aStage = rowHasA && lane < KC && lane < a.rank ? aRow[lane] : 0.0f;
        }
        __syncthreads();   // the previous round's sums are done with the tiles
#pragma unroll
        for (int q = 0; q < F4; ++q) bTile[threadIdx.x + q * kPromptThreads] = stage[q];
        if (lane < KC) aTile[warp][lane] = aStage;
        __syncthreads();
        const int next = k0 + KC;
        if (next < a.rank) {
#pragma unroll
            for (int q = 0; q < F4; ++q) {
                const int f = threadIdx.x + q * kPromptThreads, k = next + f / ROW4, c = (f % ROW4) * 4;
                stage[q] = k < a.rank && tileCol0 + c < a.dim ? *reinterpret_cast<const float4*>(bTileCols + k * d + c)
                                                              : zero_float4();
            }
            aStage = rowHasA && lane < KC && next + lane < a.rank ? aRow[next + lane] : 0.0f;
        }
        const int kn = imin(KC, a.rank - k0);
#pragma unroll
        for (int k = 0; k < KC; ++k) {
            if (k >= kn) continue;
            const float ak = aTile[warp][k];
            const float4 lo = bTile[k * ROW4 + colInTile / 4], hi = bTile[k * ROW4 + colInTile / 4 + 1];
            acc[0] += ak * lo.x; acc[1] += ak * lo.y; acc[2] += ak * lo.z; acc[3] += ak * lo.w;
            acc[4] += ak * hi.x; acc[5] += ak * hi.y; acc[6] += ak * hi.z; acc[7] += ak * hi.w;
        }
    }
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[j] *= a.lowRankScale;
}

// Every example uses prompt 0 (promptIndex null: training); every thread of the block calls this for the
// same tile and examples [b0, b1) (the block-staged low-rank sum needs them all). Token rows: a group of U
// examples is gathered at once, the first group before the addend is summed; with PREFETCH the next group's
// ids are loaded while the group's rows are in flight. A bad id gathers row 0 and writes zeros (code 1).
template <class Cfg, typename OutT, typename EmbT, bool VEC>
__device__ __forceinline__ void forward_one_prompt(const PromptInputForwardArgs& a, int tileRow0, int tileCol0, int colInTile, int t,
                                                   int col0, bool active, int b0, int b1)
{
    using Path = ForwardPath<Cfg, EmbT, VEC>;
    constexpr int U = Path::kExamples;
    const EmbT* __restrict__ emb = static_cast<const EmbT*>(a.emb);
    const long long d = a.dim;
    const int rows = a.promptLen + a.seqLen;
    const long long exampleStride = static_cast<long long>(rows) * d;
    OutT* const dst = static_cast<OutT*>(a.out) + static_cast<long long>(t) * d + col0;   // example b at dst + b · exampleStride
    const int n = imin(8, a.dim - col0);
    const bool useAB = a.delta == nullptr && a.rank > 0 && a.lowRankA != nullptr && a.lowRankB != nullptr;
    const bool lowRank = a.delta != nullptr || useAB;
    const int i = t - a.promptLen;
    const bool zeroRow = active && i >= 0 && lowRank && i >= a.maxLen;   // L > s: position i has no low-rank row
    const bool tokenRow = active && i >= 0 && !zeroRow;
    const bool reporter = col0 == 0;   // one lane per row reports
    // the block sums the low-rank rows when some row of the tile needs one (the same answer in every thread)
    const bool blockSum = Path::kBlockLowRank && useAB && imax(tileRow0, a.promptLen) < imin(imin(tileRow0 + Cfg::kRows, rows),
                                                                                            a.promptLen + a.maxLen);
    const int* __restrict__ idColumn = a.ids + (tokenRow ? i : 0);   // ids[b · L + i]

    // the block's low-rank sum comes before the first group is requested (both at once would not fit in
    // 64 registers); a warp's own sum comes after, while the group's rows are in flight
    float add[8];
    if (blockSum) block_lowrank_rows<Cfg>(a, tileCol0, colInTile, t < rows && i >= 0 && i < a.maxLen, i, add);
    int id[U];
    bool ok[U];
    Row8<EmbT, VEC> e[U];
    if (tokenRow) {
#pragma unroll
        for (int u = 0; u < U; ++u) id[u] = idColumn[static_cast<long long>(imin(b0 + u, b1 - 1)) * a.seqLen];
#pragma unroll
        for (int u = 0; u < U; ++u) {
            ok[u] = static_cast<unsigned>(id[u]) < static_cast<unsigned>(a.vocab);
            e[u].load(emb + static_cast<long long>(ok[u] ? id[u] : 0) * d + col0, n);
        }
    }
    if (!active) return;
    if (zeroRow) {
        if (reporter) report_error(a.errorFlag, DEPT_ERR_SEQ_LONGER_THAN_MAX, a.seqLen, i, a.maxLen);
#pragma unroll
        for (int j = 0; j < 8; ++j) add[j] = 0.0f;
        for (int b = b0; b < b1; ++b) forward_store8<Path, VEC>(dst + b * exampleStride, n, add);
        return;
    }
    if (!tokenRow) {   // prompt row: the addend is the output
        forward_addend<VEC, Path::kWarpLowRankUnroll>(a, lowRank, t, 0, col0, n, add);
#pragma unroll 4
        for (int b = b0; b < b1; ++b) forward_store8<Path, VEC>(dst + b * exampleStride, n, add);
        return;
    }
    if (!blockSum) forward_addend<VEC, Path::kWarpLowRankUnroll>(a, lowRank, t, 0, col0, n, add);
    for (int bb = b0;;) {
        const bool more = bb + U < b1;
        int next[U];
        if (Path::kPrefetch && more) {
#pragma unroll
            for (int u = 0; u < U; ++u) next[u] = idColumn[static_cast<long long>(imin(bb + U + u, b1 - 1)) * a.seqLen];
        }
        bool anyBad = false;
#pragma unroll
        for (int u = 0; u < U; ++u) {
            if (bb + u >= b1) continue;
            float x[8], v[8];
            e[u].unpack(x);
#pragma unroll
            for (int j = 0; j < 8; ++j) v[j] = ok[u] ? x[j] * a.embScale + add[j] : 0.0f;
            forward_store8<Path, VEC>(dst + (bb + u) * exampleStride, n, v);
            anyBad |= !ok[u];
        }
        if (anyBad && reporter) {
#pragma unroll
            for (int u = 0; u < U; ++u)
                if (bb + u < b1 && !ok[u]) report_error(a.errorFlag, DEPT_ERR_TOKEN_ID, id[u], (bb + u) * a.seqLen + i, a.vocab);
        }
        if (!more) return;
        bb += U;
#pragma unroll
        for (int u = 0; u < U; ++u)
            id[u] = Path::kPrefetch ? next[u] : idColumn[static_cast<long long>(imin(bb + u, b1 - 1)) * a.seqLen];
#pragma unroll
        for (int u = 0; u < U; ++u) {
            ok[u] = static_cast<unsigned>(id[u]) < static_cast<unsigned>(a.vocab);
            e[u].load(emb + static_cast<long long>(ok[u] ? id[u] : 0) * d + col0, n);
        }
    }
}

// Each example has its prompt (promptIndex: serving several prompts) or its row offset (rowOffset: left padding);
// one warp, row t, examples [b0, b1). As above plus the prompt indices and offsets (OFFSETS: rowOffset is set); the
// addend is recomputed when (prompt, low-rank row) changes from one example to the next. A bad prompt index or
// offset writes the example's rows as zeros (code 2, 5); a bad id, or a low-rank row past s, the row (code 1, 3).
template <class Cfg, typename OutT, typename EmbT, bool VEC, bool SERIAL, bool OFFSETS>
__device__ __forceinline__ void forward_many_prompts(const PromptInputForwardArgs& a, int t, int col0, int b0, int b1)
{
    using Path = ForwardPath<Cfg, EmbT, VEC, SERIAL>;
    constexpr int U = Path::kExamples;
    const EmbT* __restrict__ emb = static_cast<const EmbT*>(a.emb);
    const int* __restrict__ promptIndex = a.promptIndex;
    const long long d = a.dim;
    const long long exampleStride = static_cast<long long>(a.promptLen + a.seqLen) * d;
    OutT* const dst = static_cast<OutT*>(a.out) + static_cast<long long>(t) * d + col0;
    const int n = imin(8, a.dim - col0);
    const bool useAB = a.delta == nullptr && a.rank > 0 && a.lowRankA != nullptr && a.lowRankB != nullptr;
    const bool lowRank = a.delta != nullptr || useAB;
    const bool sums = SERIAL && useAB;   // only the serial instance computes low-rank sums
    const bool promptRow = t < a.promptLen;
    const int i = t - a.promptLen;
    const bool reporter = col0 == 0;
    if (!OFFSETS && !promptRow && lowRank && i >= a.maxLen) {   // L > s: position i has no low-rank row; zeros
        if (reporter) report_error(a.errorFlag, DEPT_ERR_SEQ_LONGER_THAN_MAX, a.seqLen, i, a.maxLen);
        float zero[8];
#pragma unroll
        for (int j = 0; j < 8; ++j) zero[j] = 0.0f;
        for (int b = b0; b < b1; ++b) forward_store8<Path, VEC>(dst + b * exampleStride, n, zero);
        return;
    }
    const int* __restrict__ idColumn = a.ids + (promptRow ? 0 : i);
    int id[U], p[U], o[U];
#pragma unroll
    for (int u = 0; u < U; ++u) o[u] = 0;
    if (Path::kPrefetch) {
#pragma unroll
        for (int u = 0; u < U; ++u) {
            const int b = imin(b0 + u, b1 - 1);
            p[u] = promptIndex != nullptr ? promptIndex[b] : 0;
            if (OFFSETS) o[u] = a.rowOffset[b];
            id[u] = promptRow ? 0 : idColumn[static_cast<long long>(b) * a.seqLen];
        }
    }
    float add[8];
#pragma unroll
    for (int j = 0; j < 8; ++j) add[j] = 0.0f;
    int addPrompt = -1, addSource = -1;   // prompt and source row (forward_addend's t; −1: none) of the addend in add[]
    for (int bb = b0; bb < b1; bb += U) {
        if (!Path::kPrefetch) {
#pragma unroll
            for (int u = 0; u < U; ++u) {
                const int b = imin(bb + u, b1 - 1);
                p[u] = promptIndex != nullptr ? promptIndex[b] : 0;
                if (OFFSETS) o[u] = a.rowOffset[b];
                id[u] = promptRow ? 0 : idColumn[static_cast<long long>(b) * a.seqLen];
            }
        }
        bool pOk[U], oOk[U], idOk[U], rowOk[U], ok[U];
        Row8<EmbT, VEC> e[U];
#pragma unroll
        for (int u = 0; u < U; ++u) {
            idOk[u] = promptRow || static_cast<unsigned>(id[u]) < static_cast<unsigned>(a.vocab);
            pOk[u] = static_cast<unsigned>(p[u]) < static_cast<unsigned>(a.numPrompts);
            oOk[u] = !OFFSETS || static_cast<unsigned>(o[u]) <= static_cast<unsigned>(a.seqLen);
            rowOk[u] = !OFFSETS || promptRow || !lowRank || i - o[u] < a.maxLen;
            ok[u] = pOk[u] && oOk[u] && idOk[u] && rowOk[u];
            if (!promptRow) e[u].load(emb + static_cast<long long>(idOk[u] ? id[u] : 0) * d + col0, n);
        }
        const bool more = bb + U < b1;
        int nextId[U], nextP[U], nextO[U];
        if (Path::kPrefetch && more) {
#pragma unroll
            for (int u = 0; u < U; ++u) {
                const int b = imin(bb + U + u, b1 - 1);
                nextP[u] = promptIndex != nullptr ? promptIndex[b] : 0;
                nextO[u] = OFFSETS ? a.rowOffset[b] : 0;
                nextId[u] = promptRow ? 0 : idColumn[static_cast<long long>(b) * a.seqLen];
            }
        }
        bool anyBad = false;
#pragma unroll
        for (int u = 0; u < U; ++u) {
            if (bb + u >= b1) continue;
            float v[8];
            if (ok[u]) {
                // the prompt row, the low-rank row i − o as forward_addend's t, or none (a row before the real tokens)
                const int source = promptRow ? t : i - o[u] >= 0 ? a.promptLen + i - o[u] : -1;
                if (p[u] != addPrompt || source != addSource) {
                    if (source >= 0) {
                        forward_addend<VEC, Path::kWarpLowRankUnroll>(a, a.delta != nullptr || sums, source, p[u], col0, n, add);
                    } else {
#pragma unroll
                        for (int j = 0; j < 8; ++j) add[j] = 0.0f;
                    }
                    addPrompt = p[u];
                    addSource = source;
                }
                float x[8];
                e[u].unpack(x);
#pragma unroll
                for (int j = 0; j < 8; ++j) v[j] = promptRow ? add[j] : x[j] * a.embScale + add[j];
            } else {
#pragma unroll
                for (int j = 0; j < 8; ++j) v[j] = 0.0f;
            }
            forward_store8<Path, VEC>(dst + (bb + u) * exampleStride, n, v);
            anyBad |= !ok[u];
        }
        if (anyBad && reporter) {
#pragma unroll
            for (int u = 0; u < U; ++u) {
                if (bb + u >= b1 || ok[u]) continue;
                if (!pOk[u]) report_error(a.errorFlag, DEPT_ERR_PROMPT_INDEX, p[u], bb + u, a.numPrompts);
                else if (!oOk[u]) report_error(a.errorFlag, DEPT_ERR_ROW_OFFSET, o[u], bb + u, a.seqLen);
                else if (!idOk[u]) report_error(a.errorFlag, DEPT_ERR_TOKEN_ID, id[u], (bb + u) * a.seqLen + i, a.vocab);
                else report_error(a.errorFlag, DEPT_ERR_SEQ_LONGER_THAN_MAX, a.seqLen, i - o[u], a.maxLen);
            }
        }
        if (Path::kPrefetch && more) {
#pragma unroll
            for (int u = 0; u < U; ++u) {
                p[u] = nextP[u];
                o[u] = nextO[u];
                id[u] = nextId[u];
            }
        }
    }
}

// the tile whose first row is tileRow0 and first column tileCol0, examples [b0, b1); every thread of the block
template <class Cfg, typename OutT, typename EmbT, bool VEC>
__device__ __forceinline__ void forward_tile(const PromptInputForwardArgs& a, int tileRow0, int tileCol0, int b0, int b1)
{
    const int warp = threadIdx.x >> 5;
    const int colInTile = (warp % Cfg::kWarpsPerRow) * 256 + (threadIdx.x & 31) * 8;
    const int t = tileRow0 + warp / Cfg::kWarpsPerRow;
    const int col0 = tileCol0 + colInTile;
    const bool active = t < a.promptLen + a.seqLen && col0 < a.dim;
    if (a.promptIndex == nullptr && a.rowOffset == nullptr) {
        forward_one_prompt<Cfg, OutT, EmbT, VEC>(a, tileRow0, tileCol0, colInTile, t, col0, active, b0, b1);
        return;
    }
    if (!active) return;
    const bool sums = a.delta == nullptr && a.rank > 0 && a.lowRankA != nullptr && a.lowRankB != nullptr;
    if (a.rowOffset != nullptr) {
        if (sums) forward_many_prompts<Cfg, OutT, EmbT, VEC, true, true>(a, t, col0, b0, b1);
        else forward_many_prompts<Cfg, OutT, EmbT, VEC, false, true>(a, t, col0, b0, b1);
    } else if (sums) {
        forward_many_prompts<Cfg, OutT, EmbT, VEC, true, false>(a, t, col0, b0, b1);
    } else {
        forward_many_prompts<Cfg, OutT, EmbT, VEC, false, false>(a, t, col0, b0, b1);
    }
}

// persistent grid: the work units (tile, example), tile-major with tile = rowTile · ceil(d / C) + colTile, are
// cut into gridDim.x contiguous ranges of equal size; a block walks its range tile by tile
template <class Cfg, typename OutT, typename EmbT, bool VEC>
__device__ __forceinline__ void forward_persistent(const PromptInputForwardArgs& a)
{
    const int colTiles = ceil_div(a.dim, Cfg::kCols);
    const long long units = static_cast<long long>(colTiles) * ceil_div(a.promptLen + a.seqLen, Cfg::kRows) * a.batch;   // < 2^31
    const int end = static_cast<int>(units * (blockIdx.x + 1) / gridDim.x);
    for (int unit = static_cast<int>(units * blockIdx.x / gridDim.x); unit < end;) {
        const int tile = unit / a.batch;
        const int b0 = unit - tile * a.batch;
        const int b1 = imin(a.batch, b0 + (end - unit));
        forward_tile<Cfg, OutT, EmbT, VEC>(a, (tile / colTiles) * Cfg::kRows, (tile % colTiles) * Cfg::kCols, b0, b1);
        unit += b1 - b0;
    }
}

// Tiled grid: block (x, y, z) owns the tile of rows [y·R, y·R + R) x columns [x·C, x·C + C) for the examples
// of batch chunk z; persistent grid: see forward_persistent. Within a tile, warp w owns row w / (4 / R) and
// 256 columns from (w % (4 / R)) · 256.
template <class Cfg, typename OutT, typename EmbT>
__device__ __forceinline__ void prompt_input_forward_body(const PromptInputForwardArgs& a)
{
    const bool vec = (a.dim & 7) == 0 && is_aligned16(a.out) && is_aligned16(a.emb) && is_aligned16(a.prompt) &&
                     is_aligned16(a.lowRankB) && is_aligned16(a.delta);
    if (Cfg::kPersistent > 0) {
        if (vec) forward_persistent<Cfg, OutT, EmbT, true>(a);
        else forward_persistent<Cfg, OutT, EmbT, false>(a);
        return;
    }
    const int chunk = ceil_div(a.batch, static_cast<int>(gridDim.z));
    const int b0 = blockIdx.z * chunk;
    const int b1 = imin(a.batch, b0 + chunk);
    if (b0 >= b1) return;
    if (vec) forward_tile<Cfg, OutT, EmbT, true>(a, blockIdx.y * Cfg::kRows, blockIdx.x * Cfg::kCols, b0, b1);
    else forward_tile<Cfg, OutT, EmbT, false>(a, blockIdx.y * Cfg::kRows, blockIdx.x * Cfg::kCols, b0, b1);
}

// block 128; grid prompt_input_forward_grid (header comment: forward geometry)
extern "C" __global__ void __launch_bounds__(kPromptThreads, kForwardMinBlocks) prompt_input_forward_f32out_f32emb(const PromptInputForwardArgs args)
{
    prompt_input_forward_body<PromptForwardLibrary, float, float>(args);
}

// block 128; grid prompt_input_forward_grid (header comment: forward geometry)
extern "C" __global__ void __launch_bounds__(kPromptThreads, kForwardMinBlocks) prompt_input_forward_f32out_bf16emb(const PromptInputForwardArgs args)
{
    prompt_input_forward_body<PromptForwardLibrary, float, bf16>(args);
}

// block 128; grid prompt_input_forward_grid (header comment: forward geometry)
extern "C" __global__ void __launch_bounds__(kPromptThreads, kForwardMinBlocks) prompt_input_forward_bf16out_f32emb(const PromptInputForwardArgs args)
{
    prompt_input_forward_body<PromptForwardLibrary, bf16, float>(args);
}

// block 128; grid prompt_input_forward_grid (header comment: forward geometry)
extern "C" __global__ void __launch_bounds__(kPromptThreads, kForwardMinBlocks) prompt_input_forward_bf16out_bf16emb(const PromptInputForwardArgs args)
{
    prompt_input_forward_body<PromptForwardLibrary, bf16, bf16>(args);
}

// ---------------------------------------------------------------------------------------------------
// backward, step 1: reduce dinp over the batch per prompt: dprompt += (rows t < m), workspace = (rows t >= m)

// one warp: row t, columns [col0, col0 + 8), all examples, every prompt in turn (one pass over dinp per
// prompt; an example's row is loaded only under its own prompt, so dinp is read once in total). With row
// offsets, workspace row j gathers each example's row m + j + o_b (none when that is past the example's end).
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
            int q[UNROLL], o[UNROLL];
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                q[u] = a.promptIndex != nullptr ? a.promptIndex[imin(bb + u, a.batch - 1)] : 0;
                o[u] = a.rowOffset != nullptr ? a.rowOffset[imin(bb + u, a.batch - 1)] : 0;
            }
            bool take[UNROLL];
            Row8<InT, VEC> g[UNROLL];
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                // an offset outside [0, L] is reported below and its example gives nothing, like a bad prompt index
                const int source = promptRow ? t : t + o[u];
                take[u] = bb + u < a.batch && q[u] == p && o[u] >= 0 && o[u] <= a.seqLen && source < rows;
                if (take[u]) g[u].load(dinp + (static_cast<long long>(bb + u) * rows + source) * d + col0, n);
            }
            if (p == 0 && reporter) {
#pragma unroll
                for (int u = 0; u < UNROLL; ++u) {
                    if (bb + u >= a.batch) continue;
                    if (q[u] < 0 || q[u] >= a.numPrompts) report_error(a.errorFlag, DEPT_ERR_PROMPT_INDEX, q[u], bb + u, a.numPrompts);
                    if (o[u] < 0 || o[u] > a.seqLen) report_error(a.errorFlag, DEPT_ERR_ROW_OFFSET, o[u], bb + u, a.seqLen);
                }
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

// forward grid of configuration Cfg; for the library (PromptForwardLibrary) this is the formula CudaBackend uses
template <class Cfg> inline long long prompt_forward_tiles(const PromptInputForwardArgs& a)
{
    return static_cast<long long>((a.dim + Cfg::kCols - 1) / Cfg::kCols) * ((a.promptLen + a.seqLen + Cfg::kRows - 1) / Cfg::kRows);
}

// tiled grid: batchSplit = min(B, max(1, ceil(kSplitTarget · numSMs / tiles)))
template <class Cfg> inline int prompt_forward_batch_split(const PromptInputForwardArgs& a, int numSMs)
{
    const long long tiles = prompt_forward_tiles<Cfg>(a);
    long long split = (static_cast<long long>(Cfg::kSplitTarget) * numSMs + tiles - 1) / tiles;
    if (split < 1) split = 1;
    if (split > a.batch) split = a.batch;
    return static_cast<int>(split);
}

// tiled: (ceil(d / C), ceil((m + L) / R), batchSplit); persistent: (min(kPersistent · numSMs, tiles · B), 1, 1)
template <class Cfg> inline dim3 prompt_forward_grid(const PromptInputForwardArgs& a, int batchSplit, int numSMs)
{
    if (Cfg::kPersistent > 0) {
        const long long units = prompt_forward_tiles<Cfg>(a) * a.batch;
        const long long blocks = static_cast<long long>(Cfg::kPersistent) * numSMs;
        return dim3(static_cast<unsigned>(blocks < units ? blocks : units), 1, 1);
    }
    return dim3((a.dim + Cfg::kCols - 1) / Cfg::kCols, (a.promptLen + a.seqLen + Cfg::kRows - 1) / Cfg::kRows, batchSplit);
}

// the library forward's grid on a device with numSMs multiprocessors (the batchSplit rule applied)
inline dim3 prompt_input_forward_grid(const PromptInputForwardArgs& a, int numSMs)
{
    return prompt_forward_grid<PromptForwardLibrary>(a, prompt_forward_batch_split<PromptForwardLibrary>(a, numSMs), numSMs);
}

// the library forward on a given grid: prompt_input_forward_grid(a, numSMs), or prompt_forward_grid with another batchSplit
template <typename OutT, typename EmbT> inline void prompt_input_forward(const PromptInputForwardArgs& a, dim3 grid, cudaStream_t stream);
template <> inline void prompt_input_forward<float, float>(const PromptInputForwardArgs& a, dim3 grid, cudaStream_t stream)
{
    prompt_input_forward_f32out_f32emb<<<grid, kPromptThreads, 0, stream>>>(a);
}
template <> inline void prompt_input_forward<float, bf16>(const PromptInputForwardArgs& a, dim3 grid, cudaStream_t stream)
{
    prompt_input_forward_f32out_bf16emb<<<grid, kPromptThreads, 0, stream>>>(a);
}
template <> inline void prompt_input_forward<bf16, float>(const PromptInputForwardArgs& a, dim3 grid, cudaStream_t stream)
{
    prompt_input_forward_bf16out_f32emb<<<grid, kPromptThreads, 0, stream>>>(a);
}
template <> inline void prompt_input_forward<bf16, bf16>(const PromptInputForwardArgs& a, dim3 grid, cudaStream_t stream)
{
    prompt_input_forward_bf16out_bf16emb<<<grid, kPromptThreads, 0, stream>>>(a);
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
