/*
Kernel lab: DePT prompt input (src/DePT.Kernels/prompt.cuh), forward and backward.

    out[b, t]   = P[p_b, t]                                              t < m
    out[b, m+i] = Emb[ids[b, i]] · embScale + scale · A[p_b, i] · B[p_b]   (or + delta[p_b, i])
    out (B, m+L, d) bf16/f32, ids (B, L), Emb (V, d) bf16/f32, P (P, m, d), A (P, s, r), B (P, r, d)

Versions of the forward (the history stays; benchmarks/NOTES.md has each one's prediction and result):
    v1  naive: one thread per output element, scalar loads, the low-rank sum recomputed per element
    v2  row per block: 128 threads x 8 columns (16-byte accesses), one sequence row per block, the
        low-rank row computed once and reused for the block's batch chunk, one example at a time
    v3  v2 with 4 examples gathered at once (4 independent 16-byte loads in flight per thread)
    v4  run-1 library: one row per warp, 4 rows x 256 columns per block, 4 examples in flight, index loads
        hoisted, validity before the gathers (83 registers on the H200 build: 5 blocks per SM)
    v5  v4 with 8 examples in flight
    v6+ the library's template (prompt.cuh, prompt_input_forward_body) under one PromptForwardConfig each:
        rows per block, 16-byte gathers in flight, __launch_bounds__ minimum blocks per SM, id prefetch,
        streaming stores, hardware bf16 packing, block-staged low-rank sums, persistent grid, batchSplit
        target; each tests one hypothesis (for_each_config_version below). The library's kernels are one
        of them: the lab says which.
What it does, in one run: measures the device-to-device copy bandwidth (cudaMemcpyAsync, bytes read +
written); prints registers, local memory and resident blocks per SM of every kernel; checks the library
and every configuration version on the edge cases of prompt_input_ref.h (all paths, batchSplit 1, 2, B+3,
persistent grids of several sizes, unaligned pointers, error codes); then for each timing shape checks
every version against the CPU reference (double accumulation; outputs poisoned with NaN first;
‖out−ref‖/‖ref‖ < 1e-5 fp32, < 1e-2 bf16) and times it (CUDA events, L2 flushed by a 256 MB write before
every run, median of 100 runs after 5 warm-ups) at the batchSplit its rule gives, sweeps batchSplit for
the tiled ones, and checks and times the backward kernels and the delta kernel. It ends with a table per
shape, the best version per shape, and the configuration it recommends for the library, with the
constants to set in prompt.cuh and CudaBackend. The exit code is 1 when any check failed.

Build: cmake --build build --target prompt_input_lab (CMakeLists.txt at the repository root), or
    nvcc -O3 -std=c++17 -arch=sm_90 -lineinfo -I src/DePT.Kernels -I benchmarks/kernel-lab/prompt_input \
         benchmarks/kernel-lab/prompt_input/prompt_input_lab.cu -o prompt_input_lab
Run: ./prompt_input_lab [seed]
*/

#if !defined(PROMPT_INPUT_LAB_KERNELS_ONLY)   // prompt_input_emulation.cpp takes the kernels alone
#include <cuda_runtime.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <vector>

#include "prompt.cuh"
#include "prompt_input_ref.h"

// =====================================================================================================
// forward versions

// v1: one thread per output element (grid-stride), block 256
template <typename OutT, typename EmbT>
__global__ void prompt_input_forward_v1(const PromptInputForwardArgs a)
{
    const long long rows = a.promptLen + a.seqLen;
    const long long total = static_cast<long long>(a.batch) * rows * a.dim;
    const bool lowRank = a.delta != nullptr || (a.rank > 0 && a.lowRankA != nullptr && a.lowRankB != nullptr);
    for (long long idx = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; idx < total;
         idx += static_cast<long long>(gridDim.x) * blockDim.x) {
        const int j = static_cast<int>(idx % a.dim);
        const int t = static_cast<int>((idx / a.dim) % rows);
        const int b = static_cast<int>(idx / (a.dim * rows));
        const int p = a.promptIndex != nullptr ? a.promptIndex[b] : 0;
        float v = 0.0f;
        if (p >= 0 && p < a.numPrompts) {
            if (t < a.promptLen) {
                v = a.prompt[(static_cast<long long>(p) * a.promptLen + t) * a.dim + j];
            } else {
                const int i = t - a.promptLen;
                const int id = a.ids[static_cast<long long>(b) * a.seqLen + i];
                if (id >= 0 && id < a.vocab && (!lowRank || i < a.maxLen)) {
                    v = load_as_float(static_cast<const EmbT*>(a.emb) + static_cast<long long>(id) * a.dim + j) * a.embScale;
                    if (a.delta != nullptr) {
                        v += a.delta[(static_cast<long long>(p) * a.maxLen + i) * a.dim + j];
                    } else if (lowRank) {
                        float acc = 0.0f;
                        for (int k = 0; k < a.rank; ++k)
                            acc += a.lowRankA[(static_cast<long long>(p) * a.maxLen + i) * a.rank + k] *
                                   a.lowRankB[(static_cast<long long>(p) * a.rank + k) * a.dim + j];
                        v += a.lowRankScale * acc;
                    }
                }
            }
        }
        store_from_float(static_cast<OutT*>(a.out) + idx, v);
    }
}

// -----------------------------------------------------------------------------------------------------
// the run-1 library forward (prompt.cuh before the configuration template), kept for v2..v5

// what prompt p adds to output row t (8 columns from col0): P[p, t] for t < m, else the low-rank row
template <bool VEC>
__device__ __forceinline__ void run1_forward_addend(const PromptInputForwardArgs& a, bool lowRank, int t, int p, int col0, int n,
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
__device__ __forceinline__ void run1_forward_row(const PromptInputForwardArgs& a, int t, int col0, int b0, int b1)
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
                    run1_forward_addend<VEC>(a, lowRank, t, p[u], col0, n, add);
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
__device__ __forceinline__ void run1_forward_impl(const PromptInputForwardArgs& a)
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
    if (vec) run1_forward_row<OutT, EmbT, UNROLL, true>(a, t, col0, b0, b1);
    else run1_forward_row<OutT, EmbT, UNROLL, false>(a, t, col0, b0, b1);
}

// v2 (UNROLL 1) and v3 (UNROLL 4): block 128 = 128 x 8 columns of one row t = blockIdx.y;
// grid (ceil(d / 1024), m + L, batchSplit); needs d % 8 == 0 and 16-byte aligned tensors; valid inputs only
template <typename OutT, typename EmbT, int UNROLL>
__global__ void __launch_bounds__(128) prompt_input_forward_rowblock(const PromptInputForwardArgs a)
{
    const int t = blockIdx.y;
    const int col0 = (blockIdx.x * 128 + threadIdx.x) * 8;
    if (col0 >= a.dim) return;
    const int chunk = ceil_div(a.batch, static_cast<int>(gridDim.z));
    const int b0 = blockIdx.z * chunk, b1 = imin(a.batch, b0 + chunk);
    const int rows = a.promptLen + a.seqLen;
    const bool promptRow = t < a.promptLen;
    const int i = t - a.promptLen;
    const bool lowRank = a.delta != nullptr || (a.rank > 0 && a.lowRankA != nullptr && a.lowRankB != nullptr);
    const long long d = a.dim;
    float add[8];
    int addPrompt = -1;
    for (int bb = b0; bb < b1; bb += UNROLL) {
        int p[UNROLL], id[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int b = imin(bb + u, b1 - 1);
            p[u] = a.promptIndex != nullptr ? a.promptIndex[b] : 0;
            id[u] = promptRow ? 0 : a.ids[static_cast<long long>(b) * a.seqLen + i];
        }
        Row8<EmbT, true> e[UNROLL];
        if (!promptRow) {
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) e[u].load(static_cast<const EmbT*>(a.emb) + static_cast<long long>(id[u]) * d + col0, 8);
        }
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            if (bb + u >= b1) break;
            if (p[u] != addPrompt) {
                run1_forward_addend<true>(a, lowRank, t, p[u], col0, 8, add);
                addPrompt = p[u];
            }
            float v[8];
#pragma unroll
            for (int j = 0; j < 8; ++j) v[j] = add[j];
            if (!promptRow) {
                float x[8];
                e[u].unpack(x);
#pragma unroll
                for (int j = 0; j < 8; ++j) v[j] += x[j] * a.embScale;
            }
            store8(static_cast<OutT*>(a.out) + (static_cast<long long>(bb + u) * rows + t) * d + col0, v);
        }
    }
}

// v4 (UNROLL 4: the run-1 library) and v5 (UNROLL 8): grid (ceil(d / 256), ceil((m + L) / 4), batchSplit)
template <typename OutT, typename EmbT, int UNROLL>
__global__ void __launch_bounds__(kPromptThreads) prompt_input_forward_run1(const PromptInputForwardArgs a)
{
    run1_forward_impl<OutT, EmbT, UNROLL>(a);
}

// v6 and later: the library's template under configuration Cfg (grid: prompt_forward_grid<Cfg>)
template <class Cfg, typename OutT, typename EmbT>
__global__ void __launch_bounds__(kPromptThreads, Cfg::kMinBlocks) prompt_input_forward_config(const PromptInputForwardArgs a)
{
    prompt_input_forward_body<Cfg, OutT, EmbT>(a);
}

enum Version { V1 = 1, V2, V3, V4, V5 };

const char* version_name(int v)
{
    switch (v) {
    case V1: return "v1 naive";
    case V2: return "v2 row/block";
    case V3: return "v3 row/block x4";
    case V4: return "v4 run-1 library";
    case V5: return "v5 run-1 x8";
    default: return "?";
    }
}

// -----------------------------------------------------------------------------------------------------
// the configuration versions. Config order: rows per block, 16-byte gathers in flight, min blocks per SM,
// id prefetch, streaming stores, hardware bf16 packing, low-rank (0 per warp, n block-staged with n float4
// per thread a round), persistent blocks per SM (0 tiled), batchSplit target blocks per SM.

template <class Cfg, bool F32> struct ConfigTag {
    using type = Cfg;
    static constexpr bool kF32 = F32;   // also instantiated, checked and timed with fp32 out and fp32 Emb
};

struct ConfigVersion {
    int number;
    const char* idea;         // the hypothesis it tests
    const char* prediction;   // d=4096 bf16/bf16 (B=32, L=256, m=60, r=30), written before the run
};

// f(ConfigVersion, ConfigTag<Cfg, F32>{}) for every configuration version, in number order
template <class F> void for_each_config_version(F&& f)
{
    f(ConfigVersion{6, "rewrite alone: v4 geometry, clamped ids, cold scalar path, no register cap",
                    "~105 regs -> 4 blocks/SM: no faster than v4 (72-78 us)"},
      ConfigTag<PromptForwardConfig<4, 4, 1, false, false, false, 0, 0, 4>, false>{});
    f(ConfigVersion{7, "(a) v6 + __launch_bounds__(128, 8): 64 registers, 8 blocks/SM",
                    "58-63 us: more blocks resident, as v3 had (64 regs) against v4's 83"},
      ConfigTag<PromptForwardConfig<4, 4, 8, false, false, false, 0, 0, 4>, false>{});
    f(ConfigVersion{8, "v7 + the next group's ids loaded while this group's rows are in flight",
                    "54-58 us: one dependent round trip per group instead of two"},
      ConfigTag<PromptForwardConfig<4, 4, 8, true, false, false, 0, 0, 4>, true>{});
    f(ConfigVersion{9, "v8 with cap 6 (80 registers, no spills) instead of 8 (64, some spills)",
                    "56-60 us: fewer blocks outweigh the spills"},
      ConfigTag<PromptForwardConfig<4, 4, 6, true, false, false, 0, 0, 4>, false>{});
    f(ConfigVersion{10, "v8 + block-staged low-rank sums (B through shared memory, 4 rounds for r=30 instead of ~15 dependent loads)",
                     "48-53 us (library default); the largest gain at d=768/1024, where the sums dominate a block"},
      ConfigTag<PromptForwardConfig<4, 4, 8, true, false, false, 4, 0, 4>, true>{});
    f(ConfigVersion{11, "v10 with cap 6 (80 registers)", "50-55 us"},
      ConfigTag<PromptForwardConfig<4, 4, 6, true, false, false, 4, 0, 4>, false>{});
    f(ConfigVersion{12, "(f) v3 geometry (1 row x 1024 columns) with full semantics, cap 8, prefetch",
                     "52-56 us: v3's 55 plus prefetch, minus validity work; worse at d=768 (a quarter of the warps idle)"},
      ConfigTag<PromptForwardConfig<1, 4, 8, true, false, false, 0, 0, 4>, true>{});
    f(ConfigVersion{13, "(f) 2 rows x 512 columns per block, cap 8, prefetch", "between v8 and v12"},
      ConfigTag<PromptForwardConfig<2, 4, 8, true, false, false, 0, 0, 4>, false>{});
    f(ConfigVersion{14, "(b) v10 with 8 gathers in flight, cap 5 (96 registers)",
                     "v10 +-3 %: twice the loads per thread, five eighths of the blocks"},
      ConfigTag<PromptForwardConfig<4, 8, 5, true, false, false, 4, 0, 4>, false>{});
    f(ConfigVersion{15, "(d) v10 with st.global.cs (evict-first) stores of out", "v10 - 0-3 %"},
      ConfigTag<PromptForwardConfig<4, 4, 8, true, true, false, 4, 0, 4>, false>{});
    f(ConfigVersion{16, "v10 with cvt.rn.bf16x2.f32 packing of bf16 out", "v10 - 0-2 % (fewer instructions, not fewer bytes)"},
      ConfigTag<PromptForwardConfig<4, 4, 8, true, false, true, 4, 0, 4>, false>{});
    f(ConfigVersion{17, "(c) persistent grid, 6 blocks/SM walking (tile, example) ranges: no wave tail; v9's body",
                     "52-56 us; most help at d=768/1024 (1.1-1.4 waves there)"},
      ConfigTag<PromptForwardConfig<4, 4, 6, true, false, false, 0, 6, 4>, false>{});
    f(ConfigVersion{18, "(c) persistent grid, 6 blocks/SM, with v11's block-staged sums", "47-52 us"},
      ConfigTag<PromptForwardConfig<4, 4, 6, true, false, false, 4, 6, 4>, true>{});
    f(ConfigVersion{19, "everything predicted to help: persistent 8/SM, cap 8, block-staged sums, streaming stores, hw packing",
                     "47-52 us if the spills of the persistent loop at 64 registers stay out of the streaming loop"},
      ConfigTag<PromptForwardConfig<4, 4, 8, true, true, true, 4, 8, 4>, false>{});
}

template <class Cfg> std::string config_text()
{
    char buf[200];
    std::snprintf(buf, sizeof buf, "rows %d, gathers %d, minBlocks %d, prefetch %d, stream %d, hwcvt %d, lowrank %d, persistent %d, splitTarget %d",
                  Cfg::kRows, Cfg::kUnroll, Cfg::kMinBlocks, Cfg::kPrefetch ? 1 : 0, Cfg::kStreamStores ? 1 : 0, Cfg::kHwConvert ? 1 : 0,
                  Cfg::kLowRank, Cfg::kPersistent, Cfg::kSplitTarget);
    return buf;
}

// the number of the configuration version the library instantiates (0 when none matches)
inline int library_version()
{
    int n = 0;
    for_each_config_version([&](const ConfigVersion& v, auto tag) {
        if (std::is_same<typename decltype(tag)::type, PromptForwardLibrary>::value && n == 0) n = v.number;
    });
    return n;
}

#if !defined(PROMPT_INPUT_LAB_KERNELS_ONLY)

#define CUDA_CHECK(call)                                                                                     \
    do {                                                                                                     \
        const cudaError_t status_ = (call);                                                                  \
        if (status_ != cudaSuccess) {                                                                        \
            std::fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__, __LINE__, #call,                   \
                         cudaGetErrorName(status_), cudaGetErrorString(status_));                            \
            std::exit(2);                                                                                    \
        }                                                                                                    \
    } while (0)

// run-1 geometry (v2..v5): the batchSplit rule of run 1, ceil(4 · numSMs / (ceil(d / 256) · ceil((m + L) / 4)))
int run1_batch_split(const PromptInputForwardArgs& a, int numSMs)
{
    const long long tiles = static_cast<long long>((a.dim + 255) / 256) * ((a.promptLen + a.seqLen + 3) / 4);
    return static_cast<int>(std::min<long long>(a.batch, std::max<long long>(1, (4ll * numSMs + tiles - 1) / tiles)));
}

template <typename OutT, typename EmbT> void launch_forward(int version, const PromptInputForwardArgs& a, int batchSplit)
{
    const int rows = a.promptLen + a.seqLen;
    const dim3 run1Grid((a.dim + 255) / 256, (rows + 3) / 4, batchSplit);
    switch (version) {
    case V1: {
        const long long total = static_cast<long long>(a.batch) * rows * a.dim;
        const long long blocks = std::min<long long>((total + 255) / 256, 1ll << 20);
        prompt_input_forward_v1<OutT, EmbT><<<static_cast<unsigned>(blocks), 256>>>(a);
        break;
    }
    case V2:
        prompt_input_forward_rowblock<OutT, EmbT, 1><<<dim3((a.dim + 1023) / 1024, rows, batchSplit), 128>>>(a);
        break;
    case V3:
        prompt_input_forward_rowblock<OutT, EmbT, 4><<<dim3((a.dim + 1023) / 1024, rows, batchSplit), 128>>>(a);
        break;
    case V4: prompt_input_forward_run1<OutT, EmbT, 4><<<run1Grid, kPromptThreads>>>(a); break;
    case V5: prompt_input_forward_run1<OutT, EmbT, 8><<<run1Grid, kPromptThreads>>>(a); break;
    }
    CUDA_CHECK(cudaGetLastError());
}

// a configuration version on the grid CudaBackend's formula gives for it (batchSplit ignored when persistent)
template <class Cfg, typename OutT, typename EmbT> void launch_config(const PromptInputForwardArgs& a, int batchSplit, int numSMs)
{
    prompt_input_forward_config<Cfg, OutT, EmbT><<<prompt_forward_grid<Cfg>(a, batchSplit, numSMs), kPromptThreads>>>(a);
    CUDA_CHECK(cudaGetLastError());
}

// =====================================================================================================
// device memory

template <typename T> struct DevBuf {
    T* base = nullptr;
    T* ptr = nullptr;   // base, or one element past it for the unaligned tests
    size_t n = 0;
    DevBuf() = default;
    DevBuf(size_t count, bool misalign) : n(count)
    {
        if (count == 0) return;
        CUDA_CHECK(cudaMalloc(&base, (count + 1) * sizeof(T)));
        ptr = base + (misalign ? 1 : 0);
    }
    DevBuf(const DevBuf&) = delete;
    DevBuf& operator=(const DevBuf&) = delete;
    DevBuf(DevBuf&& o) noexcept : base(o.base), ptr(o.ptr), n(o.n) { o.base = o.ptr = nullptr; o.n = 0; }
    DevBuf& operator=(DevBuf&& o) noexcept
    {
        std::swap(base, o.base);
        std::swap(ptr, o.ptr);
        std::swap(n, o.n);
        return *this;
    }
    ~DevBuf()
    {
        if (base != nullptr) cudaFree(base);
    }
    size_t bytes() const { return n * sizeof(T); }
};

inline bf16 host_to_bf16(float v) { return bf16{host_float_to_bf16(v)}; }

template <typename T> DevBuf<T> upload(const std::vector<float>& host, bool misalign)
{
    DevBuf<T> d(host.size(), misalign);
    if (host.empty()) return d;
    std::vector<T> staged(host.size());
    for (size_t i = 0; i < host.size(); ++i) {
        if constexpr (sizeof(T) == 2) staged[i] = host_to_bf16(host[i]);
        else staged[i] = host[i];
    }
    CUDA_CHECK(cudaMemcpy(d.ptr, staged.data(), d.bytes(), cudaMemcpyHostToDevice));
    return d;
}

DevBuf<int> upload_ints(const std::vector<int>& host, bool misalign)
{
    DevBuf<int> d(host.size(), misalign);
    if (!host.empty()) CUDA_CHECK(cudaMemcpy(d.ptr, host.data(), d.bytes(), cudaMemcpyHostToDevice));
    return d;
}

template <typename T> std::vector<float> download(const T* ptr, size_t n)
{
    std::vector<T> staged(n);
    if (n > 0) CUDA_CHECK(cudaMemcpy(staged.data(), ptr, n * sizeof(T), cudaMemcpyDeviceToHost));
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) {
        if constexpr (sizeof(T) == 2) v[i] = host_bf16_to_float(staged[i].bits);
        else v[i] = staged[i];
    }
    return v;
}

// all-ones bytes are NaN in both fp32 and bf16
template <typename T> void poison(T* ptr, size_t n)
{
    if (n > 0) CUDA_CHECK(cudaMemset(ptr, 0xff, n * sizeof(T)));
}

// one problem on the device: every input in both storage types, outputs in both, gradients, flag
struct DeviceProblem {
    DevBuf<int> ids, promptIndex, flag;
    DevBuf<float> emb32, prompt, A, B, delta, dinp32, dprompt, dA, dB, workspace, deltaOut, out32;
    DevBuf<bf16> emb16, dinp16, out16;
    DeviceProblem(const PromptProblem& q32, const PromptProblem& q16, bool misalign)
    {
        const PromptSizes& z = q32.z;
        const size_t outCount = static_cast<size_t>(z.B) * (z.m + z.L) * z.d;
        ids = upload_ints(q32.ids, misalign);
        promptIndex = upload_ints(q32.promptIndex, misalign);
        flag = DevBuf<int>(4, false);
        emb32 = upload<float>(q32.emb, misalign);
        emb16 = upload<bf16>(q16.emb, misalign);
        prompt = upload<float>(q32.prompt, misalign);
        A = upload<float>(q32.A, misalign);
        B = upload<float>(q32.Bm, misalign);
        delta = upload<float>(q32.delta, misalign);
        dinp32 = upload<float>(q32.dinp, misalign);
        dinp16 = upload<bf16>(q16.dinp, misalign);
        dprompt = DevBuf<float>(q32.dprompt0.size(), misalign);
        dA = DevBuf<float>(q32.dA0.size(), misalign);
        dB = DevBuf<float>(q32.dB0.size(), misalign);
        workspace = DevBuf<float>(static_cast<size_t>(z.P) * z.L * z.d, misalign);
        deltaOut = DevBuf<float>(static_cast<size_t>(z.P) * z.s * z.d, misalign);
        out32 = DevBuf<float>(outCount, misalign);
        out16 = DevBuf<bf16>(outCount, misalign);
    }
    void reset_gradients(const PromptProblem& q)
    {
        if (!q.dprompt0.empty()) CUDA_CHECK(cudaMemcpy(dprompt.ptr, q.dprompt0.data(), dprompt.bytes(), cudaMemcpyHostToDevice));
        if (!q.dA0.empty()) CUDA_CHECK(cudaMemcpy(dA.ptr, q.dA0.data(), dA.bytes(), cudaMemcpyHostToDevice));
        if (!q.dB0.empty()) CUDA_CHECK(cudaMemcpy(dB.ptr, q.dB0.data(), dB.bytes(), cudaMemcpyHostToDevice));
        poison(workspace.ptr, workspace.n);
        CUDA_CHECK(cudaMemset(flag.ptr, 0, 4 * sizeof(int)));
    }
};

template <typename OutT, typename EmbT> PromptInputForwardArgs forward_args(const PromptSizes& z, DeviceProblem& d)
{
    PromptInputForwardArgs a{};
    if constexpr (sizeof(OutT) == 2) a.out = d.out16.ptr;
    else a.out = d.out32.ptr;
    if constexpr (sizeof(EmbT) == 2) a.emb = d.emb16.ptr;
    else a.emb = d.emb32.ptr;
    a.ids = d.ids.ptr;
    a.prompt = d.prompt.ptr;
    a.lowRankA = z.useDelta ? nullptr : d.A.ptr;
    a.lowRankB = z.useDelta ? nullptr : d.B.ptr;
    a.delta = z.useDelta ? d.delta.ptr : nullptr;
    a.promptIndex = z.usePromptIndex ? d.promptIndex.ptr : nullptr;
    a.errorFlag = d.flag.ptr;
    a.batch = z.B; a.seqLen = z.L; a.promptLen = z.m; a.dim = z.d; a.rank = z.r; a.maxLen = z.s; a.vocab = z.V;
    a.numPrompts = z.P;
    a.embScale = z.embScale;
    a.lowRankScale = z.lowRankScale;
    return a;
}

template <typename InT> PromptInputBackwardArgs backward_args(const PromptSizes& z, DeviceProblem& d)
{
    PromptInputBackwardArgs a{};
    a.dprompt = d.dprompt.ptr;
    a.dlowRankA = d.dA.ptr;
    a.dlowRankB = d.dB.ptr;
    a.workspace = d.workspace.ptr;
    if constexpr (sizeof(InT) == 2) a.dinp = d.dinp16.ptr;
    else a.dinp = d.dinp32.ptr;
    a.lowRankA = d.A.ptr;
    a.lowRankB = d.B.ptr;
    a.promptIndex = z.usePromptIndex ? d.promptIndex.ptr : nullptr;
    a.errorFlag = d.flag.ptr;
    a.batch = z.B; a.seqLen = z.L; a.promptLen = z.m; a.dim = z.d; a.rank = z.r; a.maxLen = z.s; a.numPrompts = z.P;
    a.lowRankScale = z.lowRankScale;
    return a;
}

LowRankDeltaArgs delta_args(const PromptSizes& z, DeviceProblem& d)
{
    LowRankDeltaArgs a{};
    a.delta = d.deltaOut.ptr;
    a.lowRankA = d.A.ptr;
    a.lowRankB = d.B.ptr;
    a.numPrompts = z.P; a.maxLen = z.s; a.rank = z.r; a.dim = z.d;
    a.lowRankScale = z.lowRankScale;
    return a;
}

// =====================================================================================================
// checks and results

int checks = 0, failures = 0;

bool expect(bool ok, const std::string& what)
{
    ++checks;
    if (!ok) {
        ++failures;
        std::printf("FAIL  %s\n", what.c_str());
    }
    return ok;
}

// ‖out−ref‖/‖ref‖ under normTol, and every element within relTol·|ref| + 1e-6·max|ref|
double check_tensor(const std::string& what, const std::vector<float>& got, const std::vector<double>& ref, double normTol, double relTol)
{
    const double err = rel_error(got, ref);
    const long long bad = first_mismatch(got, ref, relTol, 1e-6);
    char buf[200];
    if (bad >= 0)
        std::snprintf(buf, sizeof buf, ": rel %.3g; first mismatch at %lld: %.8g vs %.8g", err, bad, got[bad], ref[bad]);
    else std::snprintf(buf, sizeof buf, ": rel %.3g", err);
    expect(err < normTol && bad < 0, what + buf);
    return err;
}

void check_flag(const std::string& what, DeviceProblem& d, const ExpectedError& want)
{
    int flag[4];
    CUDA_CHECK(cudaMemcpy(flag, d.flag.ptr, sizeof flag, cudaMemcpyDeviceToHost));
    const bool ok = flag[0] == want.flag[0] && flag[3] == want.flag[3] &&
                    (want.anyValue || (flag[1] == want.flag[1] && flag[2] == want.flag[2]));
    char buf[160];
    std::snprintf(buf, sizeof buf, ": errorFlag {%d,%d,%d,%d}, expected {%d,%d,%d,%d}", flag[0], flag[1], flag[2], flag[3],
                  want.flag[0], want.flag[1], want.flag[2], want.flag[3]);
    expect(ok, what + buf);
}

struct ResultRow {
    std::string kernel, shape, types;
    int split;
    double us, bytes, flops, err;
};
std::vector<ResultRow> results;

// =====================================================================================================
// timing

struct Timer {
    cudaEvent_t start{}, stop{};
    DevBuf<unsigned char> flush;   // written before every timed run: larger than the 60 MB L2
    Timer() : flush(256ull << 20, false)
    {
        CUDA_CHECK(cudaEventCreate(&start));
        CUDA_CHECK(cudaEventCreate(&stop));
    }
    ~Timer()
    {
        cudaEventDestroy(start);
        cudaEventDestroy(stop);
    }
    // median microseconds of `runs` timed launches after `warmup` untimed ones, L2 flushed before each
    template <typename F> double median_us(F&& launch, int runs = 100, int warmup = 5)
    {
        std::vector<float> ms;
        ms.reserve(runs);
        for (int r = 0; r < warmup + runs; ++r) {
            CUDA_CHECK(cudaMemsetAsync(flush.ptr, r & 0xff, flush.bytes()));
            CUDA_CHECK(cudaEventRecord(start));
            launch();
            CUDA_CHECK(cudaEventRecord(stop));
            CUDA_CHECK(cudaEventSynchronize(stop));
            float t = 0.0f;
            CUDA_CHECK(cudaEventElapsedTime(&t, start, stop));
            if (r >= warmup) ms.push_back(t);
        }
        std::sort(ms.begin(), ms.end());
        return 1000.0 * ms[ms.size() / 2];
    }
};

// device-to-device copy of a 1 GiB buffer; returns GB/s counting bytes read + written
double copy_bandwidth_gbs(Timer& timer)
{
    const size_t bytes = 1ull << 30;
    DevBuf<unsigned char> src(bytes, false), dst(bytes, false);
    CUDA_CHECK(cudaMemset(src.ptr, 1, bytes));
    const double us = timer.median_us([&] { CUDA_CHECK(cudaMemcpyAsync(dst.ptr, src.ptr, bytes, cudaMemcpyDeviceToDevice)); }, 20, 3);
    return 2.0 * bytes / (us * 1e3);
}

// =====================================================================================================
// byte and flop counts (what must cross DRAM at least once)

double forward_bytes(const PromptSizes& z, int outSize, int embSize)
{
    const double B = z.B, L = z.L, m = z.m, d = z.d, r = z.r, P = z.P;
    double bytes = B * (m + L) * d * outSize   // out
                   + B * L * d * embSize       // gathered embedding rows
                   + B * L * 4                 // ids
                   + P * m * d * 4;            // prompts
    if (z.usePromptIndex) bytes += B * 4;
    if (z.useDelta) bytes += P * L * d * 4;
    else if (z.r > 0) bytes += P * (L * r + r * d) * 4;   // A[:L], B
    return bytes;
}

double forward_flops(const PromptSizes& z)
{
    const double flops = 2.0 * z.B * z.L * z.d;   // scale and add per gathered element
    return z.useDelta ? flops : flops + 2.0 * z.P * z.L * z.r * z.d;   // the low-rank rows, once
}

double reduce_bytes(const PromptSizes& z, int inSize)
{
    return double(z.B) * (z.m + z.L) * z.d * inSize + 2.0 * z.P * z.m * z.d * 4 + double(z.P) * z.L * z.d * 4;
}

// =====================================================================================================
// kernel attributes

struct KernelAttributes {
    int regs = 0, blocksPerSM = 0;
    size_t localBytes = 0, smemBytes = 0;
};

template <typename K> KernelAttributes attributes_of(K kernel)
{
    cudaFuncAttributes attr{};
    CUDA_CHECK(cudaFuncGetAttributes(&attr, kernel));
    KernelAttributes k;
    k.regs = attr.numRegs;
    k.localBytes = attr.localSizeBytes;
    k.smemBytes = attr.sharedSizeBytes;
    CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&k.blocksPerSM, kernel, kPromptThreads, 0));
    return k;
}

template <typename K> KernelAttributes print_attributes(const std::string& name, K kernel)
{
    const KernelAttributes k = attributes_of(kernel);
    std::printf("  %-40s regs %3d  local %4zu B  static smem %5zu B  blocks/SM %2d\n", name.c_str(), k.regs, k.localBytes, k.smemBytes,
                k.blocksPerSM);
    return k;
}

// =====================================================================================================
// edge cases on the device (the same list as the CPU emulation)

// one forward launch on an edge case, checked; launch(a) runs a kernel on the arguments a
template <typename OutT, typename EmbT, typename Launch>
void edge_forward(const std::string& who, const PromptProblem& q, const std::vector<double>& ref, DeviceProblem& d, const ExpectedError& err,
                  const char* types, bool misalign, const std::string& geometry, Launch&& launch)
{
    const PromptInputForwardArgs a = forward_args<OutT, EmbT>(q.z, d);
    poison(static_cast<OutT*>(a.out), ref.size());
    CUDA_CHECK(cudaMemset(d.flag.ptr, 0, 4 * sizeof(int)));
    launch(a);
    CUDA_CHECK(cudaGetLastError());
    CUDA_CHECK(cudaDeviceSynchronize());
    const bool bf16Out = sizeof(OutT) == 2;
    const std::string what = "edge forward " + who + " " + types + " " + geometry + (misalign ? " unaligned " : " ") + q.z.name;
    check_tensor(what, download(static_cast<const OutT*>(a.out), ref.size()), ref, bf16Out ? 1e-2 : 1e-5, bf16Out ? 5e-3 : 1e-5);
    check_flag(what, d, err);
}

// the grids an edge case runs configuration Cfg on: batchSplit 1, 2, B+3 (tiled), or the persistent grid for
// numSMs and 1 multiprocessor and a 3-block grid (long ranges that cross tiles)
template <class Cfg> std::vector<std::pair<std::string, dim3>> edge_grids(const PromptInputForwardArgs& a, int numSMs)
{
    std::vector<std::pair<std::string, dim3>> g;
    if (Cfg::kPersistent == 0) {
        for (int split : {1, 2, a.batch + 3}) g.push_back({"split=" + std::to_string(split), prompt_forward_grid<Cfg>(a, split, numSMs)});
    } else {
        g.push_back({"persistent", prompt_forward_grid<Cfg>(a, 1, numSMs)});
        g.push_back({"persistent 1 SM", prompt_forward_grid<Cfg>(a, 1, 1)});
        g.push_back({"grid 3", dim3(3, 1, 1)});
    }
    return g;
}

template <class Cfg, typename OutT, typename EmbT>
void edge_config(const std::string& who, bool library, const PromptProblem& q, const std::vector<double>& ref, DeviceProblem& d,
                 const ExpectedError& err, const char* types, bool misalign, int numSMs)
{
    const auto grids = edge_grids<Cfg>(forward_args<OutT, EmbT>(q.z, d), numSMs);
    for (size_t k = 0; k < grids.size(); ++k) {
        if (misalign && k != 1) continue;   // the scalar path: one grid is enough
        const dim3 grid = grids[k].second;
        edge_forward<OutT, EmbT>(who, q, ref, d, err, types, misalign, grids[k].first, [&](const PromptInputForwardArgs& a) {
            if (library) prompt_input_forward<OutT, EmbT>(a, grid, 0);
            else prompt_input_forward_config<Cfg, OutT, EmbT><<<grid, kPromptThreads>>>(a);
        });
    }
}

template <typename InT>
void edge_backward(const PromptProblem& q, const RefBackward& ref, DeviceProblem& d, const ExpectedError& err, bool misalign)
{
    d.reset_gradients(q);
    prompt_input_backward<InT>(backward_args<InT>(q.z, d), 0);
    CUDA_CHECK(cudaGetLastError());
    CUDA_CHECK(cudaDeviceSynchronize());
    const std::string what = std::string("edge backward ") + (sizeof(InT) == 2 ? "bf16" : "f32") + (misalign ? " unaligned " : " ") + q.z.name;
    check_tensor(what + " dprompt", download(d.dprompt.ptr, d.dprompt.n), ref.dprompt, 1e-5, 1e-5);
    check_tensor(what + " workspace", download(d.workspace.ptr, d.workspace.n), ref.S, 1e-5, 1e-5);
    check_tensor(what + " dA", download(d.dA.ptr, d.dA.n), ref.dA, 1e-5, 1e-5);
    check_tensor(what + " dB", download(d.dB.ptr, d.dB.n), ref.dB, 1e-5, 1e-5);
    check_flag(what, d, err);
}

void run_edge_cases(std::mt19937_64& rng, int numSMs)
{
    const int before = failures, checksBefore = checks;
    for (const EdgeCase& c : edge_cases()) {
        PromptProblem q32, q16;
        make_case_problems(c, rng, q32, q16);
        const auto ref32 = ref_forward(q32), ref16 = ref_forward(q16);
        PromptProblem b32 = q32, b16 = q16;
        b32.z.useDelta = b16.z.useDelta = false;
        const RefBackward rb32 = ref_backward(b32), rb16 = ref_backward(b16);
        for (bool misalign : {false, true}) {
            DeviceProblem d(q32, q16, misalign);
            edge_config<PromptForwardLibrary, float, float>("library", true, q32, ref32, d, c.forward, "f32out/f32emb", misalign, numSMs);
            edge_config<PromptForwardLibrary, bf16, float>("library", true, q32, ref32, d, c.forward, "bf16out/f32emb", misalign, numSMs);
            edge_config<PromptForwardLibrary, float, bf16>("library", true, q16, ref16, d, c.forward, "f32out/bf16emb", misalign, numSMs);
            edge_config<PromptForwardLibrary, bf16, bf16>("library", true, q16, ref16, d, c.forward, "bf16out/bf16emb", misalign, numSMs);
            for_each_config_version([&](const ConfigVersion& v, auto tag) {
                using Tag = decltype(tag);
                const std::string who = "v" + std::to_string(v.number);
                edge_config<typename Tag::type, bf16, bf16>(who, false, q16, ref16, d, c.forward, "bf16out/bf16emb", misalign, numSMs);
                if constexpr (Tag::kF32)
                    edge_config<typename Tag::type, float, float>(who, false, q32, ref32, d, c.forward, "f32out/f32emb", misalign, numSMs);
            });
            edge_backward<float>(b32, rb32, d, c.backward, misalign);
            edge_backward<bf16>(b16, rb16, d, c.backward, misalign);
            if (c.z.r > 0) {
                poison(d.deltaOut.ptr, d.deltaOut.n);
                prompt_lowrank_delta_launch(delta_args(c.z, d), 0);
                CUDA_CHECK(cudaGetLastError());
                check_tensor(std::string("edge delta") + (misalign ? " unaligned " : " ") + c.z.name,
                             download(d.deltaOut.ptr, d.deltaOut.n), ref_delta(q32), 1e-5, 1e-5);
            }
        }
    }
    std::printf("edge cases: %d checks, %d failed\n", checks - checksBefore, failures - before);
}

// =====================================================================================================
// timing shapes

// what one configuration version did on one shape (bf16 out, bf16 Emb)
struct ConfigTiming {
    int number = 0;
    bool persistent = false;
    int ruleSplit = 1;
    double ruleUs = 0.0;
    std::vector<std::pair<int, double>> sweep;   // (batchSplit, us), tiled only
    double us_at(int split) const
    {
        for (const auto& s : sweep)
            if (s.first == split) return s.second;
        return split == ruleSplit ? ruleUs : 0.0;
    }
    std::pair<int, double> best() const
    {
        std::pair<int, double> b{ruleSplit, ruleUs};
        for (const auto& s : sweep)
            if (s.second < b.second) b = s;
        return b;
    }
};

struct ShapeSummary {
    std::string name;
    double bytes = 0.0;           // bf16 out, bf16 Emb
    double run1Us = 0.0;          // v4 (the run-1 library) at its rule
    std::vector<ConfigTiming> configs;
    std::vector<std::pair<std::string, double>> others;   // v2, v3, v4, v5 at their rule
};
std::vector<ShapeSummary> summaries;

struct ConfigAttributes {
    int number;
    KernelAttributes attr;
    std::string config, constants, csharp;
};
std::vector<ConfigAttributes> configAttributes;

template <typename OutT, typename EmbT>
double forward_version(int version, const PromptProblem& q, const std::vector<double>& ref, DeviceProblem& d, int split,
                       Timer& timer, const char* types)
{
    const PromptSizes& z = q.z;
    if ((version == V2 || version == V3) && z.d % 8 != 0) return 0.0;   // lab versions without a scalar path
    const PromptInputForwardArgs a = forward_args<OutT, EmbT>(z, d);
    poison(static_cast<OutT*>(a.out), ref.size());
    CUDA_CHECK(cudaMemset(d.flag.ptr, 0, 4 * sizeof(int)));
    launch_forward<OutT, EmbT>(version, a, split);
    CUDA_CHECK(cudaDeviceSynchronize());
    const bool bf16Out = sizeof(OutT) == 2;
    const std::string what = std::string(version_name(version)) + " " + types + " " + z.name;
    const double err = check_tensor(what, download(static_cast<const OutT*>(a.out), ref.size()), ref, bf16Out ? 1e-2 : 1e-5,
                                    bf16Out ? 5e-3 : 1e-5);
    check_flag(what, d, ExpectedError{});
    const double us = timer.median_us([&] { launch_forward<OutT, EmbT>(version, a, split); });
    results.push_back({version_name(version), z.name, types, version == V1 ? 0 : split, us,
                       forward_bytes(z, sizeof(OutT), sizeof(EmbT)), forward_flops(z), err});
    return us;
}

// check and time one configuration (library: the library's extern "C" kernels) at its batchSplit rule
template <class Cfg, typename OutT, typename EmbT>
double forward_config(const std::string& name, bool library, const PromptProblem& q, const std::vector<double>& ref, DeviceProblem& d,
                      int numSMs, Timer& timer, const char* types)
{
    const PromptSizes& z = q.z;
    const PromptInputForwardArgs a = forward_args<OutT, EmbT>(z, d);
    const int split = prompt_forward_batch_split<Cfg>(a, numSMs);
    const auto launch = [&] {
        if (library) prompt_input_forward<OutT, EmbT>(a, prompt_input_forward_grid(a, numSMs), 0);
        else launch_config<Cfg, OutT, EmbT>(a, split, numSMs);
    };
    poison(static_cast<OutT*>(a.out), ref.size());
    CUDA_CHECK(cudaMemset(d.flag.ptr, 0, 4 * sizeof(int)));
    launch();
    CUDA_CHECK(cudaGetLastError());
    CUDA_CHECK(cudaDeviceSynchronize());
    const bool bf16Out = sizeof(OutT) == 2;
    const std::string what = name + " " + types + " " + z.name;
    const double err = check_tensor(what, download(static_cast<const OutT*>(a.out), ref.size()), ref, bf16Out ? 1e-2 : 1e-5,
                                    bf16Out ? 5e-3 : 1e-5);
    check_flag(what, d, ExpectedError{});
    const double us = timer.median_us(launch);
    results.push_back({name, z.name, types, Cfg::kPersistent > 0 ? -Cfg::kPersistent : split, us, forward_bytes(z, sizeof(OutT), sizeof(EmbT)),
                       forward_flops(z), err});
    return us;
}

// the batchSplit values the sweep times: 1..8, 10, 12, 16, and every value the rule gives for targets 1..16
template <class Cfg> std::vector<int> sweep_splits(const PromptInputForwardArgs& a, int numSMs)
{
    std::vector<int> s = {1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16};
    const long long tiles = prompt_forward_tiles<Cfg>(a);
    for (int target = 1; target <= 16; ++target) s.push_back(static_cast<int>((static_cast<long long>(target) * numSMs + tiles - 1) / tiles));
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    s.erase(std::remove_if(s.begin(), s.end(), [&](int v) { return v > a.batch; }), s.end());
    return s;
}

void run_shape(const PromptSizes& z, std::mt19937_64& rng, Timer& timer, int numSMs, bool withBackward)
{
    std::printf("\n== %s: B=%d L=%d m=%d d=%d r=%d s=%d V=%d P=%d%s%s\n", z.name.c_str(), z.B, z.L, z.m, z.d, z.r, z.s, z.V, z.P,
                z.useDelta ? " delta" : "", z.usePromptIndex ? " promptIndex" : "");
    // bf16-exact embeddings and gradients: one reference serves the fp32 and the bf16 storage
    const PromptProblem q = make_problem(z, rng, true, true);
    const std::vector<double> ref = ref_forward(q);
    DeviceProblem d(q, q, false);
    ShapeSummary summary;
    summary.name = z.name;
    summary.bytes = forward_bytes(z, 2, 2);

    const PromptInputForwardArgs probe = forward_args<bf16, bf16>(z, d);
    const int run1Split = run1_batch_split(probe, numSMs);
    const dim3 grid = prompt_input_forward_grid(probe, numSMs);
    std::printf("forward bytes %.4g MB, flops %.4g MFLOP; library (v%d) grid (%u, %u, %u); run-1 batchSplit rule -> %d\n",
                forward_bytes(z, 2, 2) / 1e6, forward_flops(z) / 1e6, library_version(), grid.x, grid.y, grid.z, run1Split);

    for (int v = V1; v <= V5; ++v) {
        const double us = forward_version<bf16, bf16>(v, q, ref, d, run1Split, timer, "bf16out/bf16emb");
        if (v >= V2) summary.others.push_back({version_name(v), us});
        if (v == V4) summary.run1Us = us;
    }
    forward_version<float, float>(V1, q, ref, d, run1Split, timer, "f32out/f32emb");
    forward_version<float, float>(V3, q, ref, d, run1Split, timer, "f32out/f32emb");
    forward_version<float, float>(V4, q, ref, d, run1Split, timer, "f32out/f32emb");

    const std::string lib = "library (v" + std::to_string(library_version()) + ")";
    forward_config<PromptForwardLibrary, float, float>(lib, true, q, ref, d, numSMs, timer, "f32out/f32emb");
    forward_config<PromptForwardLibrary, float, bf16>(lib, true, q, ref, d, numSMs, timer, "f32out/bf16emb");
    forward_config<PromptForwardLibrary, bf16, float>(lib, true, q, ref, d, numSMs, timer, "bf16out/f32emb");
    forward_config<PromptForwardLibrary, bf16, bf16>(lib, true, q, ref, d, numSMs, timer, "bf16out/bf16emb");

    // the configuration versions: bf16/bf16 at the rule, fp32/fp32 where instantiated, and a batchSplit sweep
    std::printf("batchSplit sweeps (bf16/bf16, us):\n");
    for_each_config_version([&](const ConfigVersion& v, auto tag) {
        using Tag = decltype(tag);
        using Cfg = typename Tag::type;
        const std::string name = "v" + std::to_string(v.number);
        ConfigTiming t;
        t.number = v.number;
        t.persistent = Cfg::kPersistent > 0;
        t.ruleSplit = prompt_forward_batch_split<Cfg>(probe, numSMs);
        t.ruleUs = forward_config<Cfg, bf16, bf16>(name, false, q, ref, d, numSMs, timer, "bf16out/bf16emb");
        if constexpr (Tag::kF32) forward_config<Cfg, float, float>(name, false, q, ref, d, numSMs, timer, "f32out/f32emb");
        if (!t.persistent) {
            std::printf("  %-4s", name.c_str());
            for (int s : sweep_splits<Cfg>(probe, numSMs)) {
                const double us = timer.median_us([&] { launch_config<Cfg, bf16, bf16>(probe, s, numSMs); }, 30, 3);
                t.sweep.push_back({s, us});
                std::printf(" %d:%.1f", s, us);
            }
            const auto best = t.best();
            std::printf("  best %d (%.1f us), rule %d\n", best.first, best.second, t.ruleSplit);
        }
        summary.configs.push_back(t);
    });
    summaries.push_back(summary);

    if (!withBackward) return;

    // backward: reduce, lowrank_a, lowrank_b, each checked and timed (the += targets drift while timing)
    const RefBackward rb = ref_backward(q);
    const auto backward_case = [&](auto inTag, const char* types) {
        using InT = decltype(inTag);
        const PromptInputBackwardArgs a = backward_args<InT>(z, d);
        const dim3 reduceGrid((z.d + kPromptColsPerBlock - 1) / kPromptColsPerBlock, (z.m + z.L + kPromptRowsPerBlock - 1) / kPromptRowsPerBlock, 1);
        const dim3 gridA((z.L + kLowRankARows - 1) / kLowRankARows, (z.r + kLowRankKs - 1) / kLowRankKs, z.P);
        const dim3 gridB((z.d + kLowRankBCols - 1) / kLowRankBCols, (z.r + kLowRankKs - 1) / kLowRankKs, z.P);
        auto reduce = [&] {
            if constexpr (sizeof(InT) == 2) prompt_input_backward_reduce_bf16<<<reduceGrid, kPromptThreads>>>(a);
            else prompt_input_backward_reduce_f32<<<reduceGrid, kPromptThreads>>>(a);
        };
        d.reset_gradients(q);
        reduce();
        CUDA_CHECK(cudaGetLastError());
        if (z.r > 0) {
            prompt_input_backward_lowrank_a<<<gridA, kPromptThreads>>>(a);
            prompt_input_backward_lowrank_b<<<gridB, kPromptThreads>>>(a);
            CUDA_CHECK(cudaGetLastError());
        }
        CUDA_CHECK(cudaDeviceSynchronize());
        const std::string what = std::string("backward ") + types + " " + z.name;
        const double eP = check_tensor(what + " dprompt", download(d.dprompt.ptr, d.dprompt.n), rb.dprompt, 1e-5, 1e-5);
        const double eS = check_tensor(what + " workspace", download(d.workspace.ptr, d.workspace.n), rb.S, 1e-5, 1e-5);
        const double eA = check_tensor(what + " dA", download(d.dA.ptr, d.dA.n), rb.dA, 1e-5, 1e-5);
        const double eB = check_tensor(what + " dB", download(d.dB.ptr, d.dB.n), rb.dB, 1e-5, 1e-5);
        check_flag(what, d, ExpectedError{});
        results.push_back({"backward_reduce", z.name, types, 0, timer.median_us(reduce), reduce_bytes(z, sizeof(InT)),
                           double(z.B) * (z.m + z.L) * z.d, std::max(eP, eS)});
        if (z.r > 0 && sizeof(InT) == 4) {
            const double flops = 2.0 * z.P * z.L * z.r * z.d;
            results.push_back({"backward_lowrank_a", z.name, "f32", 0,
                               timer.median_us([&] { prompt_input_backward_lowrank_a<<<gridA, kPromptThreads>>>(a); }),
                               4.0 * z.P * (double(z.L) * z.d + double(z.r) * z.d + 2.0 * z.L * z.r), flops, eA});
            results.push_back({"backward_lowrank_b", z.name, "f32", 0,
                               timer.median_us([&] { prompt_input_backward_lowrank_b<<<gridB, kPromptThreads>>>(a); }),
                               4.0 * z.P * (double(z.L) * z.d + double(z.L) * z.r + 2.0 * z.r * z.d), flops, eB});
        }
    };
    backward_case(float{}, "f32");
    backward_case(bf16{}, "bf16");

    if (z.r > 0) {
        const LowRankDeltaArgs a = delta_args(z, d);
        poison(d.deltaOut.ptr, d.deltaOut.n);
        prompt_lowrank_delta_launch(a, 0);
        CUDA_CHECK(cudaGetLastError());
        const double err = check_tensor("delta " + z.name, download(d.deltaOut.ptr, d.deltaOut.n), ref_delta(q), 1e-5, 1e-5);
        results.push_back({"lowrank_delta", z.name, "f32", 0, timer.median_us([&] { prompt_lowrank_delta_launch(a, 0); }),
                           4.0 * z.P * (double(z.s) * z.r + double(z.r) * z.d + double(z.s) * z.d), 2.0 * z.P * z.s * z.r * z.d, err});
    }
}

// =====================================================================================================
// the decision: per shape, the configuration versions side by side; the best per shape; the configuration
// to make the library's, with the batchSplit target that suits it across the shapes

const ConfigAttributes* attributes_for(int number)
{
    for (const ConfigAttributes& c : configAttributes)
        if (c.number == number) return &c;
    return nullptr;
}

// a version's time on a shape under batchSplit target `target` (tiled: the sweep's time at the rule's split
// for that target; persistent: its one time); 0 when not measured
double time_with_target(const ConfigTiming& t, const PromptInputForwardArgs& a, int target, int numSMs, long long tiles)
{
    if (t.persistent) return t.ruleUs;
    const int split = static_cast<int>(std::min<long long>(a.batch, std::max<long long>(1, (static_cast<long long>(target) * numSMs + tiles - 1) / tiles)));
    return t.us_at(split);
}

void print_decision(double copyGBs, int numSMs, const std::vector<PromptSizes>& shapes)
{
    const double goal = 0.70;
    std::printf("\n== configuration versions, bf16 out / bf16 Emb (us at the rule's batchSplit [split or P=persistent]; best swept)\n");
    for (const ShapeSummary& s : summaries) {
        const double floorUs = s.bytes / (copyGBs * 1e3);
        std::printf("\n%s: %.4g MB, copy-speed floor %.1f us, %d%% of copy = %.1f us; run-1 library (v4) %.1f us (%.1f%%)\n",
                    s.name.c_str(), s.bytes / 1e6, floorUs, static_cast<int>(goal * 100), floorUs / goal, s.run1Us, 100.0 * floorUs / s.run1Us);
        std::printf("  %-4s %8s %6s %7s   %12s %7s   %4s %5s %3s\n", "ver", "us", "split", "%copy", "best split", "%copy", "regs", "local", "b/SM");
        for (const ConfigTiming& t : s.configs) {
            const ConfigAttributes* c = attributes_for(t.number);
            const auto best = t.best();
            char split[16];
            if (t.persistent) std::snprintf(split, sizeof split, "P");
            else std::snprintf(split, sizeof split, "%d", t.ruleSplit);
            std::printf("  v%-3d %8.2f %6s %6.1f%%   %4d:%7.2f %6.1f%%   %4d %5zu %3d\n", t.number, t.ruleUs, split, 100.0 * floorUs / t.ruleUs,
                        best.first, best.second, 100.0 * floorUs / best.second, c ? c->attr.regs : 0, c ? c->attr.localBytes : 0,
                        c ? c->attr.blocksPerSM : 0);
        }
        int bestNumber = 0;
        double bestUs = 1e30;
        for (const ConfigTiming& t : s.configs)
            if (t.best().second < bestUs) { bestUs = t.best().second; bestNumber = t.number; }
        std::string bestOther;
        double bestOtherUs = 1e30;
        for (const auto& o : s.others)
            if (o.second > 0 && o.second < bestOtherUs) { bestOtherUs = o.second; bestOther = o.first; }
        std::printf("  best: v%d %.2f us (%.1f%% of copy); best of v2..v5: %s %.2f us\n", bestNumber, bestUs, 100.0 * floorUs / bestUs,
                    bestOther.c_str(), bestOtherUs);
    }

    // per version: the batchSplit target (1..16) with the lowest geometric mean over the shapes of time / best
    // time on that shape, and that mean; persistent versions have no target
    std::printf("\n== ranking (geometric mean over the shapes of time / the shape's best; tiled versions at their best batchSplit target)\n");
    struct Score {
        int number, target;
        double geo, targetShapeUs, targetShapePct;
        bool noLoss;
    };
    std::vector<Score> scores;
    const size_t nConfigs = summaries.empty() ? 0 : summaries[0].configs.size();
    for (size_t k = 0; k < nConfigs; ++k) {
        Score best{summaries[0].configs[k].number, 0, 1e30, 0, 0, false};
        for (int target = 1; target <= 16; ++target) {
            double logSum = 0.0;
            bool complete = true;
            std::vector<double> us;
            for (size_t si = 0; si < summaries.size(); ++si) {
                const ShapeSummary& s = summaries[si];
                const ConfigTiming& t = s.configs[k];
                const PromptSizes& z = shapes[si];
                PromptInputForwardArgs a{};
                a.batch = z.B; a.seqLen = z.L; a.promptLen = z.m; a.dim = z.d;
                long long tiles = 0;
                for_each_config_version([&](const ConfigVersion& v, auto tag) {
                    if (v.number == t.number) tiles = prompt_forward_tiles<typename decltype(tag)::type>(a);
                });
                const double u = time_with_target(t, a, target, numSMs, tiles);
                if (u <= 0.0) { complete = false; break; }
                double shapeBest = 1e30;
                for (const ConfigTiming& o : s.configs) shapeBest = std::min(shapeBest, o.best().second);
                logSum += std::log(u / shapeBest);
                us.push_back(u);
            }
            if (!complete) continue;
            const double geo = std::exp(logSum / summaries.size());
            if (geo < best.geo) {
                bool noLoss = true;
                for (size_t si = 0; si < summaries.size(); ++si) noLoss = noLoss && us[si] <= summaries[si].run1Us * 1.02;
                best = Score{summaries[0].configs[k].number, summaries[0].configs[k].persistent ? 0 : target, geo, us[0],
                             100.0 * summaries[0].bytes / (copyGBs * 1e3) / us[0], noLoss};
            }
            if (summaries[0].configs[k].persistent) break;
        }
        scores.push_back(best);
    }
    std::sort(scores.begin(), scores.end(), [](const Score& x, const Score& y) { return x.geo < y.geo; });
    for (const Score& s : scores)
        std::printf("  v%-3d geo %.3f  target %2d  %s: %.2f us (%.1f%% of copy)%s%s\n", s.number, s.geo, s.target, summaries[0].name.c_str(),
                    s.targetShapeUs, s.targetShapePct, s.targetShapePct >= 100.0 * goal ? "  [goal met]" : "",
                    s.noLoss ? "" : "  [slower than run 1 on some shape]");
    const Score* pick = nullptr;
    for (const Score& s : scores)
        if (s.targetShapePct >= 100.0 * goal && s.noLoss) { pick = &s; break; }
    if (pick == nullptr)
        for (const Score& s : scores)
            if (s.noLoss) { pick = &s; break; }
    if (pick == nullptr && !scores.empty()) pick = &scores[0];
    if (pick == nullptr) return;
    const ConfigAttributes* c = attributes_for(pick->number);
    std::printf("\nrecommended for the library: v%d (%s)%s\n", pick->number, c ? c->config.c_str() : "?",
                pick->number == library_version() ? " -- the library already is this version" : "");
    if (c) {
        std::printf("  prompt.cuh:       %s kForwardSplitTarget = %d;\n", c->constants.c_str(), pick->target > 0 ? pick->target : 4);
        std::printf("  CudaBackend.cs:   %s ForwardSplitTarget = %d;\n", c->csharp.c_str(), pick->target > 0 ? pick->target : 4);
    }
}

template <class Cfg> std::string config_constants()
{
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "kForwardRows = %d; kForwardUnroll = %d; kForwardMinBlocks = %d; kForwardPrefetch = %s; kForwardStreamStores = %s; "
                  "kForwardHwConvert = %s; kForwardLowRank = %d; kForwardPersistent = %d;",
                  Cfg::kRows, Cfg::kUnroll, Cfg::kMinBlocks, Cfg::kPrefetch ? "true" : "false", Cfg::kStreamStores ? "true" : "false",
                  Cfg::kHwConvert ? "true" : "false", Cfg::kLowRank, Cfg::kPersistent);
    return buf;
}

template <class Cfg> std::string config_csharp()
{
    char buf[200];
    std::snprintf(buf, sizeof buf, "ForwardRowsPerBlock = %d; ForwardPersistentBlocksPerSM = %d;", Cfg::kRows, Cfg::kPersistent);
    return buf;
}

int main(int argc, char** argv)
{
    const unsigned long long seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10)
                                             : static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count());
    std::mt19937_64 rng(seed);
    cudaDeviceProp prop{};
    CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    const int numSMs = prop.multiProcessorCount;
    std::printf("prompt_input lab, seed %llu; %s, %d SMs, L2 %.0f MB\n", seed, prop.name, numSMs, prop.l2CacheSize / 1e6);

    Timer timer;
    const double copyGBs = copy_bandwidth_gbs(timer);
    std::printf("device-to-device copy: %.0f GB/s (bytes read + written)\n", copyGBs);

    std::printf("kernels (library forward = v%d):\n", library_version());
    print_attributes("prompt_input_forward_bf16out_bf16emb", prompt_input_forward_bf16out_bf16emb);
    print_attributes("prompt_input_forward_f32out_f32emb", prompt_input_forward_f32out_f32emb);
    print_attributes("prompt_input_backward_reduce_bf16", prompt_input_backward_reduce_bf16);
    print_attributes("prompt_input_backward_lowrank_a", prompt_input_backward_lowrank_a);
    print_attributes("prompt_input_backward_lowrank_b", prompt_input_backward_lowrank_b);
    print_attributes("prompt_lowrank_delta", prompt_lowrank_delta);
    print_attributes("v3 row/block x4 bf16/bf16", prompt_input_forward_rowblock<bf16, bf16, 4>);
    print_attributes("v4 run-1 library bf16/bf16", prompt_input_forward_run1<bf16, bf16, 4>);
    print_attributes("v5 run-1 x8 bf16/bf16", prompt_input_forward_run1<bf16, bf16, 8>);
    for_each_config_version([&](const ConfigVersion& v, auto tag) {
        using Tag = decltype(tag);
        using Cfg = typename Tag::type;
        const KernelAttributes k = print_attributes("v" + std::to_string(v.number) + " bf16/bf16", prompt_input_forward_config<Cfg, bf16, bf16>);
        if constexpr (Tag::kF32) print_attributes("v" + std::to_string(v.number) + " f32/f32", prompt_input_forward_config<Cfg, float, float>);
        configAttributes.push_back({v.number, k, config_text<Cfg>(), config_constants<Cfg>(), config_csharp<Cfg>()});
        std::printf("      %s; tests: %s; predicted: %s\n", config_text<Cfg>().c_str(), v.idea, v.prediction);
    });

    run_edge_cases(rng, numSMs);

    const float alpha = 8.0f;
    const float scale30 = alpha / std::sqrt(30.0f);
    const int V = 32128;   // T5 vocabulary
    const std::vector<PromptSizes> shapes = {
        PromptSizes{32, 256, 60, 4096, 30, 256, V, 1, 1.0f, scale30, false, false, "d=4096 train"},
        PromptSizes{32, 256, 60, 768, 30, 256, V, 1, 1.0f, scale30, false, false, "T5-Base d=768 train"},
        PromptSizes{32, 256, 60, 1024, 30, 256, V, 1, 1.0f, scale30, false, false, "T5-Large d=1024 train"},
        PromptSizes{32, 256, 60, 4096, 30, 256, V, 4, 1.0f, scale30, true, true, "d=4096 serve 4 prompts delta"},
    };
    for (size_t k = 0; k < shapes.size(); ++k) run_shape(shapes[k], rng, timer, numSMs, k < 3);

    std::printf("\n%-20s %-30s %-16s %5s %9s %9s %7s %9s %10s\n", "kernel", "shape", "types", "split", "us", "GB/s", "%copy",
                "GFLOP/s", "rel err");
    for (const ResultRow& r : results) {
        const double gbs = r.bytes / (r.us * 1e3);
        std::printf("%-20s %-30s %-16s %5d %9.2f %9.0f %6.1f%% %9.0f %10.3g\n", r.kernel.c_str(), r.shape.c_str(), r.types.c_str(),
                    r.split, r.us, gbs, 100.0 * gbs / copyGBs, r.flops / (r.us * 1e3), r.err);
    }
    print_decision(copyGBs, numSMs, shapes);
    std::printf("\ncopy %.0f GB/s; goal: library bf16out/bf16emb d=4096 >= 70%% of copy (split < 0: persistent, blocks per SM)\n", copyGBs);
    std::printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}

#endif  // PROMPT_INPUT_LAB_KERNELS_ONLY
