/*
Kernel lab: DePT prompt input (src/DePT.Kernels/prompt.cuh), forward and backward.

    out[b, t]   = P[p_b, t]                                              t < m
    out[b, m+i] = Emb[ids[b, i]] · embScale + scale · A[p_b, i] · B[p_b]   (or + delta[p_b, i])
    out (B, m+L, d) bf16/f32, ids (B, L), Emb (V, d) bf16/f32, P (P, m, d), A (P, s, r), B (P, r, d)

Versions of the forward (the library's is the winner until the numbers say otherwise):
    v1  naive: one thread per output element, scalar loads, the low-rank sum recomputed per element
    v2  row per block: 128 threads x 8 columns (16-byte accesses), one sequence row per block, the
        low-rank row computed once and reused for the block's batch chunk, one example at a time
    v3  v2 with 4 examples gathered at once (4 independent 16-byte loads in flight per thread)
    v4  library: one row per warp, 4 rows x 256 columns per block (the 4 warps share B's columns through
        L1, so B is read from L2 a quarter as often as v3), 4 examples in flight, index loads hoisted
    v5  v4 with 8 examples in flight
What it does, in one run: measures the device-to-device copy bandwidth (cudaMemcpyAsync, bytes read +
written); checks the library on the edge cases of prompt_input_ref.h (all dtypes, batchSplit 1..B+3,
unaligned pointers, error codes); then for each timing shape checks every version against the CPU
reference (double accumulation; outputs poisoned with NaN first; ‖out−ref‖/‖ref‖ < 1e-5 fp32, < 1e-2 bf16)
and times it (CUDA events, L2 flushed by a 256 MB write before every run, median of 100 runs after 5
warm-ups), sweeps batchSplit for v4, and checks and times the backward kernels and the delta kernel.
It prints a table at the end; the exit code is 1 when any check failed.

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
                forward_addend<true>(a, lowRank, t, p[u], col0, 8, add);
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

// v5: the library's kernel body with 8 examples in flight; library grid
template <typename OutT, typename EmbT>
__global__ void __launch_bounds__(kPromptThreads) prompt_input_forward_v5(const PromptInputForwardArgs a)
{
    prompt_input_forward_impl<OutT, EmbT, 8>(a);
}

enum Version { V1 = 1, V2, V3, V4, V5 };

const char* version_name(int v)
{
    switch (v) {
    case V1: return "v1 naive";
    case V2: return "v2 row/block";
    case V3: return "v3 row/block x4";
    case V4: return "v4 library";
    case V5: return "v5 library x8";
    default: return "?";
    }
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

template <typename OutT, typename EmbT> void launch_forward(int version, const PromptInputForwardArgs& a, int batchSplit)
{
    const int rows = a.promptLen + a.seqLen;
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
    case V4: prompt_input_forward<OutT, EmbT>(a, batchSplit, 0); break;
    case V5: prompt_input_forward_v5<OutT, EmbT><<<prompt_input_forward_grid(a, batchSplit), kPromptThreads>>>(a); break;
    }
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
// edge cases on the device (the same list as the CPU emulation)

template <typename OutT, typename EmbT>
void edge_forward(const PromptProblem& q, const std::vector<double>& ref, DeviceProblem& d, int split, const ExpectedError& err,
                  const char* types, bool misalign)
{
    const PromptInputForwardArgs a = forward_args<OutT, EmbT>(q.z, d);
    poison(static_cast<OutT*>(a.out), ref.size());
    CUDA_CHECK(cudaMemset(d.flag.ptr, 0, 4 * sizeof(int)));
    prompt_input_forward<OutT, EmbT>(a, split, 0);
    CUDA_CHECK(cudaGetLastError());
    CUDA_CHECK(cudaDeviceSynchronize());
    const bool bf16Out = sizeof(OutT) == 2;
    const std::string what = "edge forward " + std::string(types) + " split=" + std::to_string(split) + (misalign ? " unaligned " : " ") + q.z.name;
    check_tensor(what, download(static_cast<const OutT*>(a.out), ref.size()), ref, bf16Out ? 1e-2 : 1e-5, bf16Out ? 5e-3 : 1e-5);
    check_flag(what, d, err);
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

void run_edge_cases(std::mt19937_64& rng)
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
            for (int split : {1, 2, c.z.B + 3}) {
                if (misalign && split != 2) continue;
                edge_forward<float, float>(q32, ref32, d, split, c.forward, "f32out/f32emb", misalign);
                edge_forward<bf16, float>(q32, ref32, d, split, c.forward, "bf16out/f32emb", misalign);
                edge_forward<float, bf16>(q16, ref16, d, split, c.forward, "f32out/bf16emb", misalign);
                edge_forward<bf16, bf16>(q16, ref16, d, split, c.forward, "bf16out/bf16emb", misalign);
            }
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

template <typename OutT, typename EmbT>
void forward_version(int version, const PromptProblem& q, const std::vector<double>& ref, DeviceProblem& d, int split,
                     Timer& timer, const char* types)
{
    const PromptSizes& z = q.z;
    if ((version == V2 || version == V3) && z.d % 8 != 0) return;   // lab versions without a scalar path
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
}

void run_shape(const PromptSizes& z, std::mt19937_64& rng, Timer& timer, int numSMs, bool withBackward)
{
    std::printf("\n== %s: B=%d L=%d m=%d d=%d r=%d s=%d V=%d P=%d%s%s\n", z.name.c_str(), z.B, z.L, z.m, z.d, z.r, z.s, z.V, z.P,
                z.useDelta ? " delta" : "", z.usePromptIndex ? " promptIndex" : "");
    // bf16-exact embeddings and gradients: one reference serves the fp32 and the bf16 storage
    const PromptProblem q = make_problem(z, rng, true, true);
    const std::vector<double> ref = ref_forward(q);
    DeviceProblem d(q, q, false);

    PromptInputForwardArgs probe = forward_args<bf16, bf16>(z, d);
    const int split = prompt_input_forward_batch_split(probe, numSMs);
    const dim3 grid = prompt_input_forward_grid(probe, split);
    std::printf("forward bytes %.4g MB, flops %.4g MFLOP; library grid (%u, %u, %u), batchSplit rule -> %d\n",
                forward_bytes(z, 2, 2) / 1e6, forward_flops(z) / 1e6, grid.x, grid.y, grid.z, split);

    for (int v = V1; v <= V5; ++v) forward_version<bf16, bf16>(v, q, ref, d, split, timer, "bf16out/bf16emb");
    forward_version<float, float>(V1, q, ref, d, split, timer, "f32out/f32emb");
    forward_version<float, float>(V3, q, ref, d, split, timer, "f32out/f32emb");
    forward_version<float, float>(V4, q, ref, d, split, timer, "f32out/f32emb");
    forward_version<float, bf16>(V4, q, ref, d, split, timer, "f32out/bf16emb");
    forward_version<bf16, float>(V4, q, ref, d, split, timer, "bf16out/f32emb");

    // batchSplit sweep for the library kernel, bf16/bf16
    std::printf("batchSplit sweep (v4 bf16/bf16):");
    double bestUs = 1e30;
    int best = 1;
    for (int s : {1, 2, 3, 4, 6, 8, 12, 16, 32}) {
        if (s > z.B) break;
        const PromptInputForwardArgs a = forward_args<bf16, bf16>(z, d);
        const double us = timer.median_us([&] { prompt_input_forward<bf16, bf16>(a, s, 0); }, 50, 3);
        std::printf(" %d:%.1fus", s, us);
        if (us < bestUs) { bestUs = us; best = s; }
    }
    std::printf("\n  best batchSplit %d (%.1f us); rule chose %d\n", best, bestUs, split);

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

// register use and occupancy of the library kernels, to read against the timings
template <typename K> void print_attributes(const char* name, K kernel)
{
    cudaFuncAttributes attr{};
    CUDA_CHECK(cudaFuncGetAttributes(&attr, kernel));
    int blocks = 0;
    CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, kPromptThreads, 0));
    std::printf("  %-40s regs %3d  local %4zu B  static smem %5zu B  blocks/SM %2d\n", name, attr.numRegs, attr.localSizeBytes,
                attr.sharedSizeBytes, blocks);
}

int main(int argc, char** argv)
{
    const unsigned long long seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10)
                                             : static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count());
    std::mt19937_64 rng(seed);
    cudaDeviceProp prop{};
    CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    std::printf("prompt_input lab, seed %llu; %s, %d SMs, L2 %.0f MB\n", seed, prop.name, prop.multiProcessorCount, prop.l2CacheSize / 1e6);

    Timer timer;
    const double copyGBs = copy_bandwidth_gbs(timer);
    std::printf("device-to-device copy: %.0f GB/s (bytes read + written)\n", copyGBs);

    std::printf("library kernels:\n");
    print_attributes("prompt_input_forward_bf16out_bf16emb", prompt_input_forward_bf16out_bf16emb);
    print_attributes("prompt_input_forward_f32out_f32emb", prompt_input_forward_f32out_f32emb);
    print_attributes("prompt_input_backward_reduce_bf16", prompt_input_backward_reduce_bf16);
    print_attributes("prompt_input_backward_lowrank_a", prompt_input_backward_lowrank_a);
    print_attributes("prompt_input_backward_lowrank_b", prompt_input_backward_lowrank_b);
    print_attributes("prompt_lowrank_delta", prompt_lowrank_delta);
    print_attributes("v5 (library x8) bf16/bf16", prompt_input_forward_v5<bf16, bf16>);

    run_edge_cases(rng);

    const float alpha = 8.0f;
    const float scale30 = alpha / std::sqrt(30.0f);
    const int V = 32128;   // T5 vocabulary
    run_shape(PromptSizes{32, 256, 60, 4096, 30, 256, V, 1, 1.0f, scale30, false, false, "d=4096 train"}, rng, timer,
              prop.multiProcessorCount, true);
    run_shape(PromptSizes{32, 256, 60, 768, 30, 256, V, 1, 1.0f, scale30, false, false, "T5-Base d=768 train"}, rng, timer,
              prop.multiProcessorCount, true);
    run_shape(PromptSizes{32, 256, 60, 1024, 30, 256, V, 1, 1.0f, scale30, false, false, "T5-Large d=1024 train"}, rng, timer,
              prop.multiProcessorCount, true);
    run_shape(PromptSizes{32, 256, 60, 4096, 30, 256, V, 4, 1.0f, scale30, true, true, "d=4096 serve 4 prompts delta"}, rng,
              timer, prop.multiProcessorCount, false);

    std::printf("\n%-20s %-30s %-16s %5s %9s %9s %7s %9s %10s\n", "kernel", "shape", "types", "split", "us", "GB/s", "%copy",
                "GFLOP/s", "rel err");
    for (const ResultRow& r : results) {
        const double gbs = r.bytes / (r.us * 1e3);
        std::printf("%-20s %-30s %-16s %5d %9.2f %9.0f %6.1f%% %9.0f %10.3g\n", r.kernel.c_str(), r.shape.c_str(), r.types.c_str(),
                    r.split, r.us, gbs, 100.0 * gbs / copyGBs, r.flops / (r.us * 1e3), r.err);
    }
    std::printf("\ncopy %.0f GB/s; goal: v4 bf16out/bf16emb d=4096 >= 70%% of copy\n", copyGBs);
    std::printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}

#endif  // PROMPT_INPUT_LAB_KERNELS_ONLY
