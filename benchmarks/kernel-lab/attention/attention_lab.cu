/*
Kernel lab: fused attention (src/DePT.Kernels/attention.cuh), forward and backward, T5 encoder self-attention shapes.

    out = softmax(scale·Q·Kᵀ + bias + mask)·V per (example, head); lse saved; backward dQ, dK, dV from dO
    q, k, v, out, dO, dK, dV (B, T, H·dh) bf16 (fp32 for v2), lse, delta (B, H, T) fp32, dQ summed in fp32
    bias = T5 relative table (32 buckets, H), bidirectional, max distance 128; key mask: right padding per example

Versions (benchmarks/NOTES.md has the numbers and what they taught):
    v1  naive fused: one thread per query row (forward, dQ) or key row (dK, dV), online softmax, scalar fp32 math,
        no shared memory; correct by construction, the floor any tiled version must beat by orders of magnitude
    v2  the library's tiles with fp32 operands (the check path, attention_flash_*_f32_*): 64-query × 32-key tiles,
        each m16n8k16 done by warp shuffles in fp32; shows what the tiling alone buys without tensor cores
    v3  the library's bf16 kernels (attention_flash_*_bf16_*): the same tiles with mma.sync m16n8k16 bf16 → fp32;
        forward 64 queries × 64 keys per 4-warp block, Q fragments in registers, P kept in registers as the A operand of
        P·V (flash-attention 2); backward 64 keys × 64 (dh ≤ 64) or 16 (dh 128) queries, dK and dV in registers, dS
        through shared memory for dQ, dQ by fp32 atomics. Static shared memory under 48 KB.
    v4  the library's attention_fast.cuh bodies instantiated with 4 warps (attention_v4.cuh): ldmatrix(.trans) fragment loads, cp.async double-buffered K/V (forward) and Q/dO
        (backward) tiles, XOR-swizzled 128-byte rows, the T5 bias bucketed once per block into a shared window (log2e
        premultiplied, key mask beside it), scores by one fma, ex2.approx, cvt.rn.bf16x2 packing; forward 64 queries ×
        64 keys, backward 64 keys per block over 64-query tiles (dK, dV in registers, dQ by fp32 atomics). Dynamic
        shared memory (cudaFuncSetAttribute).
    v5  the library's attention_flash5_* kernels, the same code with 8 warps: forward 128 queries per block (registers capped at 128: 2 blocks per SM), backward
        128 keys per block (half the Q/dO re-reads and dQ atomics of v4).
Not tried yet: wgmma with TMA on Hopper (HOPPER.md), a separate dQ kernel instead of atomics.

What it does: for each length it checks every version against the CPU reference (attention_ref.h, double) on a reduced
problem (B = 2, H = 2, same length: all masking and bias paths), outputs poisoned with NaN first, bounds 2e-2 (bf16) and
1e-3 (fp32) relative; then times forward and forward+backward (delta, dQ zeroing and backward included) at the full
shape with CUDA events, L2 flushed (256 MB write) before every run, median after warm-up, and prints ms and TFLOP/s
(forward 4·B·H·T²·dh, backward 10·B·H·T²·dh; masked keys counted as work). Exit code 1 when a check failed.

Build: cmake --build build --target attention_lab (CMakeLists.txt at the repository root), or
    nvcc -O3 -std=c++17 -arch=sm_90 -I src/DePT.Kernels -I benchmarks/kernel-lab/attention \
         benchmarks/kernel-lab/attention/attention_lab.cu -o attention_lab
Run: ./attention_lab [lengths...]   (default 316 2048; B = 32, H = 12, dh = 64)
v4/v5 on the CPU first: attention_fast_emulation.cpp (g++ with cpu-emulation-shim.h, its header says how).
*/

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "attention.cuh"
#include "attention_ref.h"
#include "attention_v4.cuh"

#define CUDA_CHECK(x)                                                                                    \
    do {                                                                                                 \
        cudaError_t e_ = (x);                                                                            \
        if (e_ != cudaSuccess) {                                                                         \
            std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_));     \
            std::exit(2);                                                                                \
        }                                                                                                \
    } while (0)

namespace {

constexpr int kHeadDim = 64;
int failures = 0;

// =====================================================================================================
// v1: naive

__device__ float lab_bias(const AttentionFlashArgs& a, int h, int i, int j)
{
    if (a.biasTable == nullptr) return 0.0f;
    const int bucket = ops_t5_bucket(j - (i + a.queryOffset), a.bidirectional != 0, a.buckets, a.logRatio);
    return static_cast<const float*>(a.biasTable)[bucket * a.heads + h];
}

__device__ bool lab_visible(const AttentionFlashArgs& a, int b, int i, int j)
{
    return (a.keyMask == nullptr || a.keyMask[static_cast<long long>(b) * a.maskStride + j] != 0) && !(a.causal && j > i + a.queryOffset);
}

__device__ float lab_dot(const ops_bf16* x, const ops_bf16* y)
{
    float s = 0.0f;
    for (int d = 0; d < kHeadDim; ++d) s += ops_bf16_to_f32(x[d]) * ops_bf16_to_f32(y[d]);
    return s;
}

__global__ void v1_forward(const AttentionFlashArgs a)
{
    const long long row = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;   // (b·H + h)·Tq + i
    if (row >= static_cast<long long>(a.batch) * a.heads * a.queryLen) return;
    const int i = static_cast<int>(row % a.queryLen), h = static_cast<int>(row / a.queryLen % a.heads), b = static_cast<int>(row / a.queryLen / a.heads);
    const long long width = static_cast<long long>(a.heads) * kHeadDim;
    const ops_bf16* q = static_cast<const ops_bf16*>(a.q) + (static_cast<long long>(b) * a.queryLen + i) * width + h * kHeadDim;
    float m = ops_neg_inf(), l = 0.0f, o[kHeadDim] = {};
    for (int j = 0; j < a.keyLen; ++j) {
        if (!lab_visible(a, b, i, j)) continue;
        const long long kj = (static_cast<long long>(b) * a.capacity + j) * width + h * kHeadDim;
        const float s = a.scale * lab_dot(q, static_cast<const ops_bf16*>(a.k) + kj) + lab_bias(a, h, i, j);
        const float mNew = fmaxf(m, s), alpha = expf(m - mNew), p = expf(s - mNew);
        l = l * alpha + p;
        for (int d = 0; d < kHeadDim; ++d) o[d] = o[d] * alpha + p * ops_bf16_to_f32(static_cast<const ops_bf16*>(a.v)[kj + d]);
        m = mNew;
    }
    ops_bf16* out = static_cast<ops_bf16*>(a.out) + (static_cast<long long>(b) * a.queryLen + i) * width + h * kHeadDim;
    for (int d = 0; d < kHeadDim; ++d) out[d] = ops_f32_to_bf16(l > 0.0f ? o[d] / l : 0.0f);
    a.lse[row] = l > 0.0f ? m + logf(l) : __uint_as_float(0x7f800000u);
}

// dQ: one thread per query row
__global__ void v1_backward_dq(const AttentionFlashArgs a)
{
    const long long row = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (row >= static_cast<long long>(a.batch) * a.heads * a.queryLen) return;
    const int i = static_cast<int>(row % a.queryLen), h = static_cast<int>(row / a.queryLen % a.heads), b = static_cast<int>(row / a.queryLen / a.heads);
    const long long width = static_cast<long long>(a.heads) * kHeadDim, qi = (static_cast<long long>(b) * a.queryLen + i) * width + h * kHeadDim;
    const ops_bf16* q = static_cast<const ops_bf16*>(a.q) + qi;
    const ops_bf16* dout = static_cast<const ops_bf16*>(a.dout) + qi;
    float dq[kHeadDim] = {};
    for (int j = 0; j < a.keyLen; ++j) {
        if (!lab_visible(a, b, i, j)) continue;
        const long long kj = (static_cast<long long>(b) * a.capacity + j) * width + h * kHeadDim;
        const ops_bf16* k = static_cast<const ops_bf16*>(a.k) + kj;
        const float p = expf(a.scale * lab_dot(q, k) + lab_bias(a, h, i, j) - a.lse[row]);
        const float ds = p * (lab_dot(dout, static_cast<const ops_bf16*>(a.v) + kj) - a.delta[row]) * a.scale;
        for (int d = 0; d < kHeadDim; ++d) dq[d] += ds * ops_bf16_to_f32(k[d]);
    }
    for (int d = 0; d < kHeadDim; ++d) a.dqAccum[qi + d] = dq[d];
}

// dK, dV: one thread per key row (rows past Tk zero)
__global__ void v1_backward_dkdv(const AttentionFlashArgs a)
{
    const long long row = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;   // (b·H + h)·Tcap + j
    if (row >= static_cast<long long>(a.batch) * a.heads * a.capacity) return;
    const int j = static_cast<int>(row % a.capacity), h = static_cast<int>(row / a.capacity % a.heads), b = static_cast<int>(row / a.capacity / a.heads);
    const long long width = static_cast<long long>(a.heads) * kHeadDim, kj = (static_cast<long long>(b) * a.capacity + j) * width + h * kHeadDim;
    const ops_bf16* k = static_cast<const ops_bf16*>(a.k) + kj;
    const ops_bf16* v = static_cast<const ops_bf16*>(a.v) + kj;
    float dk[kHeadDim] = {}, dv[kHeadDim] = {};
    for (int i = 0; j < a.keyLen && i < a.queryLen; ++i) {
        if (!lab_visible(a, b, i, j)) continue;
        const long long qi = (static_cast<long long>(b) * a.queryLen + i) * width + h * kHeadDim;
        const long long r = (static_cast<long long>(b) * a.heads + h) * a.queryLen + i;
        const ops_bf16* q = static_cast<const ops_bf16*>(a.q) + qi;
        const ops_bf16* dout = static_cast<const ops_bf16*>(a.dout) + qi;
        const float p = expf(a.scale * lab_dot(q, k) + lab_bias(a, h, i, j) - a.lse[r]);
        const float ds = p * (lab_dot(dout, v) - a.delta[r]) * a.scale;
        for (int d = 0; d < kHeadDim; ++d) {
            dv[d] += p * ops_bf16_to_f32(dout[d]);
            dk[d] += ds * ops_bf16_to_f32(q[d]);
        }
    }
    for (int d = 0; d < kHeadDim; ++d) {
        static_cast<ops_bf16*>(a.dk)[kj + d] = ops_f32_to_bf16(dk[d]);
        static_cast<ops_bf16*>(a.dv)[kj + d] = ops_f32_to_bf16(dv[d]);
    }
}

// =====================================================================================================
// device problem and launches

template <typename T> struct DevBuf {
    T* ptr = nullptr;
    size_t count = 0;
    explicit DevBuf(size_t n) : count(n) { CUDA_CHECK(cudaMalloc(&ptr, std::max<size_t>(n, 1) * sizeof(T))); }
    ~DevBuf() { cudaFree(ptr); }
    DevBuf(const DevBuf&) = delete;
    DevBuf& operator=(const DevBuf&) = delete;
    size_t bytes() const { return count * sizeof(T); }
};

enum class Version { V1Naive, V2TilesF32, V3TilesBf16, V4Ldmatrix4w, V5Ldmatrix8w };
const char* version_name(Version v)
{
    return v == Version::V1Naive ? "v1 naive" : v == Version::V2TilesF32 ? "v2 tiles fp32" : v == Version::V3TilesBf16 ? "v3 tiles bf16 mma"
         : v == Version::V4Ldmatrix4w ? "v4 ldsm cp.async 4w" : "v5 ldsm cp.async 8w";
}

struct DeviceProblem {
    const AttnProblem& p;
    bool f32;
    size_t qn, kn;
    DevBuf<unsigned char> q, k, v, out, dout, dk, dv;
    DevBuf<float> lse, delta, dq, table;
    DevBuf<int> mask;
    DeviceProblem(const AttnProblem& problem, bool fp32)
        : p(problem), f32(fp32), qn(problem.q.size()), kn(problem.k.size()),
          q(qn * esize()), k(kn * esize()), v(kn * esize()), out(qn * esize()), dout(qn * esize()), dk(kn * esize()), dv(kn * esize()),
          lse(static_cast<size_t>(problem.batch) * problem.heads * problem.queryLen), delta(lse.count), dq(qn), table(problem.table.size()),
          mask(problem.keyMask.size())
    {
        upload(q.ptr, p.q);
        upload(k.ptr, p.k);
        upload(v.ptr, p.v);
        upload(dout.ptr, p.dout);
        CUDA_CHECK(cudaMemcpy(table.ptr, p.table.data(), table.bytes(), cudaMemcpyHostToDevice));
        CUDA_CHECK(cudaMemcpy(mask.ptr, p.keyMask.data(), mask.bytes(), cudaMemcpyHostToDevice));
    }
    size_t esize() const { return f32 ? 4 : 2; }
    void upload(void* dst, const std::vector<float>& x)
    {
        if (f32) {
            CUDA_CHECK(cudaMemcpy(dst, x.data(), x.size() * 4, cudaMemcpyHostToDevice));
            return;
        }
        std::vector<uint16_t> h(x.size());
        for (size_t i = 0; i < x.size(); ++i) {
            const float r = attn_bf16_round(x[i]);
            uint32_t u;
            std::memcpy(&u, &r, 4);
            h[i] = static_cast<uint16_t>(u >> 16);
        }
        CUDA_CHECK(cudaMemcpy(dst, h.data(), h.size() * 2, cudaMemcpyHostToDevice));
    }
    std::vector<float> download(const void* src, size_t n) const
    {
        std::vector<float> r(n);
        if (f32) {
            CUDA_CHECK(cudaMemcpy(r.data(), src, n * 4, cudaMemcpyDeviceToHost));
            return r;
        }
        std::vector<uint16_t> h(n);
        CUDA_CHECK(cudaMemcpy(h.data(), src, n * 2, cudaMemcpyDeviceToHost));
        for (size_t i = 0; i < n; ++i) {
            const uint32_t u = static_cast<uint32_t>(h[i]) << 16;
            std::memcpy(&r[i], &u, 4);
        }
        return r;
    }
    AttentionFlashArgs args() const
    {
        AttentionFlashArgs a{};
        a.out = out.ptr; a.lse = lse.ptr; a.q = q.ptr; a.k = k.ptr; a.v = v.ptr; a.keyMask = mask.ptr; a.biasTable = table.ptr;
        a.dqAccum = dq.ptr; a.dk = dk.ptr; a.dv = dv.ptr; a.dout = dout.ptr; a.delta = delta.ptr;
        a.batch = p.batch; a.heads = p.heads; a.queryLen = p.queryLen; a.keyLen = p.keyLen; a.capacity = p.capacity;
        a.maskStride = p.keyLen; a.causal = p.causal; a.queryOffset = p.queryOffset; a.buckets = p.buckets; a.bidirectional = p.bidirectional;
        a.scale = p.scale;
        const int maxExact = (p.bidirectional ? p.buckets / 2 : p.buckets) / 2;
        a.logRatio = static_cast<float>(std::log(static_cast<double>(p.maxDistance) / maxExact));
        return a;
    }
};

void forward(Version version, const DeviceProblem& d)
{
    const auto a = d.args();
    const dim3 grid((d.p.queryLen + 63) / 64, d.p.heads, d.p.batch);
    if (version == Version::V1Naive) {
        const long long rows = static_cast<long long>(d.p.batch) * d.p.heads * d.p.queryLen;
        v1_forward<<<static_cast<unsigned>((rows + 127) / 128), 128>>>(a);
    } else if (version == Version::V2TilesF32) {
        attention_flash_forward_f32_64<<<grid, 32 * AttnFlashConfig<float, kHeadDim>::kFwdWarps>>>(a);
    } else if (version == Version::V3TilesBf16) {
        attention_flash_forward_bf16_64<<<grid, 32 * AttnFlashConfig<ops_bf16, kHeadDim>::kFwdWarps>>>(a);
    } else {
        const int warps = version == Version::V4Ldmatrix4w ? 4 : 8;
        const auto kernel = warps == 4 ? attn4_forward_w4 : attention_flash5_forward_bf16_64;
        const size_t smem = attn4_forward_smem(warps, d.p.keyLen);
        CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
        kernel<<<dim3((d.p.queryLen + 16 * warps - 1) / (16 * warps), d.p.heads, d.p.batch), 32 * warps, smem>>>(a);
    }
    CUDA_CHECK(cudaGetLastError());
}

void backward(Version version, const DeviceProblem& d)
{
    const auto a = d.args();
    const long long rows = static_cast<long long>(d.p.batch) * d.p.heads * d.p.queryLen;
    const AttentionFlashDeltaArgs da{d.delta.ptr, d.dout.ptr, d.out.ptr, d.p.batch, d.p.heads, d.p.queryLen, kHeadDim, d.f32 ? 0 : 6};
    attention_flash_delta<<<static_cast<unsigned>((rows + 7) / 8), 256>>>(da);
    if (version == Version::V1Naive) {
        const long long keyRows = static_cast<long long>(d.p.batch) * d.p.heads * d.p.capacity;
        v1_backward_dq<<<static_cast<unsigned>((rows + 127) / 128), 128>>>(a);
        v1_backward_dkdv<<<static_cast<unsigned>((keyRows + 127) / 128), 128>>>(a);
    } else {
        CUDA_CHECK(cudaMemsetAsync(d.dq.ptr, 0, d.dq.bytes()));
        if (version == Version::V2TilesF32) {
            typedef AttnFlashConfig<float, kHeadDim> C;
            attention_flash_backward_f32_64<<<dim3((d.p.capacity + C::kBwdKeys - 1) / C::kBwdKeys, d.p.heads, d.p.batch), 32 * C::kBwdWarps>>>(a);
        } else if (version == Version::V3TilesBf16) {
            typedef AttnFlashConfig<ops_bf16, kHeadDim> C;
            attention_flash_backward_bf16_64<<<dim3((d.p.capacity + C::kBwdKeys - 1) / C::kBwdKeys, d.p.heads, d.p.batch), 32 * C::kBwdWarps>>>(a);
        } else {
            const int warps = version == Version::V4Ldmatrix4w ? 4 : 8;
            const auto kernel = warps == 4 ? attn4_backward_w4 : attention_flash5_backward_bf16_64;
            const size_t smem = attn4_backward_smem(warps, d.p.queryLen);
            CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
            kernel<<<dim3((d.p.capacity + 16 * warps - 1) / (16 * warps), d.p.heads, d.p.batch), 32 * warps, smem>>>(a);
        }
    }
    CUDA_CHECK(cudaGetLastError());
}

// =====================================================================================================
// problems, checks, timing

AttnProblem make_problem(int batch, int heads, int length, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    AttnProblem p;
    p.batch = batch; p.heads = heads; p.headDim = kHeadDim; p.queryLen = p.capacity = p.keyLen = length;
    const size_t n = static_cast<size_t>(batch) * length * heads * kHeadDim;
    for (auto* x : {&p.q, &p.k, &p.v, &p.dout}) {
        x->resize(n);
        for (auto& e : *x) e = attn_bf16_round(u(rng));
    }
    p.table.resize(static_cast<size_t>(p.buckets) * heads);
    for (auto& e : p.table) e = u(rng);
    p.keyMask.assign(static_cast<size_t>(batch) * length, 0);
    for (int b = 0; b < batch; ++b)   // right padding: example b keeps length − (7b mod length/4) keys
        for (int j = 0; j < length - 7 * b % std::max(1, length / 4); ++j) p.keyMask[static_cast<size_t>(b) * length + j] = 1;
    return p;
}

void check(Version version, int length)
{
    const bool f32 = version == Version::V2TilesF32;
    const auto p = make_problem(2, 2, length, 7u + length);
    const auto ref = attention_reference(p);
    DeviceProblem d(p, f32);
    for (auto* buf : {&d.out, &d.dk, &d.dv}) CUDA_CHECK(cudaMemset(buf->ptr, 0xff, buf->bytes()));   // NaN
    forward(version, d);
    backward(version, d);
    CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<float> dq(d.dq.count);
    CUDA_CHECK(cudaMemcpy(dq.data(), d.dq.ptr, d.dq.bytes(), cudaMemcpyDeviceToHost));
    const double bound = f32 ? 1e-3 : 2e-2;
    const double errs[4] = {attn_relative_error(d.download(d.out.ptr, d.qn), ref.out), attn_relative_error(dq, ref.dq),
                            attn_relative_error(d.download(d.dk.ptr, d.kn), ref.dk), attn_relative_error(d.download(d.dv.ptr, d.kn), ref.dv)};
    const char* names[4] = {"out", "dQ", "dK", "dV"};
    for (int i = 0; i < 4; ++i) {
        const bool ok = errs[i] < bound;
        failures += ok ? 0 : 1;
        std::printf("  check %-18s T=%-5d %-3s rel err %.3g (bound %.0e) %s\n", version_name(version), length, names[i], errs[i], bound, ok ? "ok" : "FAIL");
    }
}

struct Timer {
    cudaEvent_t start{}, stop{};
    DevBuf<unsigned char> flush{256ull << 20};   // larger than the 60 MB L2
    Timer()
    {
        CUDA_CHECK(cudaEventCreate(&start));
        CUDA_CHECK(cudaEventCreate(&stop));
    }
    ~Timer()
    {
        cudaEventDestroy(start);
        cudaEventDestroy(stop);
    }
    // median ms after warm-up; the run count adapts so that a slow version takes about a second
    template <typename F> double median_ms(F&& launch)
    {
        std::vector<float> ms;
        int runs = 3;
        for (int r = 0; r < 2 + runs; ++r) {
            CUDA_CHECK(cudaMemsetAsync(flush.ptr, r & 0xff, flush.bytes()));
            CUDA_CHECK(cudaEventRecord(start));
            launch();
            CUDA_CHECK(cudaEventRecord(stop));
            CUDA_CHECK(cudaEventSynchronize(stop));
            float t = 0.0f;
            CUDA_CHECK(cudaEventElapsedTime(&t, start, stop));
            if (r == 1) runs = std::clamp(static_cast<int>(1000.0f / std::max(t, 1e-3f)), 3, 50);
            if (r >= 2) ms.push_back(t);
        }
        std::sort(ms.begin(), ms.end());
        return ms[ms.size() / 2];
    }
};

}  // namespace

int main(int argc, char** argv)
{
    std::vector<int> lengths;
    for (int i = 1; i < argc; ++i) lengths.push_back(std::atoi(argv[i]));
    if (lengths.empty()) lengths = {316, 2048};
    const int B = 32, H = 12;
    cudaDeviceProp prop{};
    CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    std::printf("attention lab on %s (sm_%d%d): B=%d H=%d dh=%d, T5 table bias, right-padding key mask\n", prop.name, prop.major, prop.minor, B, H, kHeadDim);
    const Version versions[] = {Version::V1Naive, Version::V2TilesF32, Version::V3TilesBf16, Version::V4Ldmatrix4w, Version::V5Ldmatrix8w};
    Timer timer;
    std::vector<std::string> table;
    for (int length : lengths) {
        for (Version v : versions) check(v, length);
        const auto p = make_problem(B, H, length, 99u);
        const double fwdFlops = 4.0 * B * H * double(length) * length * kHeadDim, bwdFlops = 2.5 * fwdFlops;
        for (Version v : versions) {
            DeviceProblem d(p, v == Version::V2TilesF32);
            const double f = timer.median_ms([&] { forward(v, d); });
            const double fb = timer.median_ms([&] { forward(v, d); backward(v, d); });
            char line[200];
            std::snprintf(line, sizeof line, "| %-18s | %5d | %9.3f | %6.1f | %9.3f | %6.1f | %6.1f |", version_name(v), length, f, fwdFlops / (f * 1e9),
                          fb, (fwdFlops + bwdFlops) / (fb * 1e9), bwdFlops / ((fb - f) * 1e9));
            std::printf("%s\n", line);
            table.emplace_back(line);
        }
    }
    std::printf("\n| version | T | fwd ms | fwd TFLOP/s | fwd+bwd ms | fwd+bwd TFLOP/s | bwd TFLOP/s |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (const auto& line : table) std::printf("%s\n", line.c_str());
    std::printf(failures == 0 ? "\nall checks passed\n" : "\n%d checks FAILED\n", failures);
    return failures == 0 ? 0 : 1;
}
