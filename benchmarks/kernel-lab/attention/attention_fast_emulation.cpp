/*
CPU emulation test of the library's attention_flash5_* kernels (src/DePT.Kernels/attention_fast.cuh: the lab's v5) and
of the lab's 4-warp instance of the same bodies (v4, attention_v4.cuh), as attention_emulation.cpp does for the v3
kernels: the device code compiled as C++ through cpu-emulation-shim.h (ldmatrix by an exchange of row offsets,
cp.async a plain copy, the mma by warp shuffles), compared with attention_ref.h on small odd shapes with bf16, dh = 64:
the T5 encoder with a fully masked example, causal with the table, causal with a dense bias, cross-attention, a KV cache.

  g++ -std=c++20 -O1 -g -fsanitize=address,undefined -fno-strict-aliasing -pthread \
      -include benchmarks/kernel-lab/cpu-emulation-shim.h -I src/DePT.Kernels -I benchmarks/kernel-lab/attention \
      benchmarks/kernel-lab/attention/attention_fast_emulation.cpp -o /tmp/attention_fast_emulation
  /tmp/attention_fast_emulation [seed [shape index [warps]]]
*/

#include <cmath>
#include "attention.cuh"
#include "attention_ref.h"
#include "attention_v4.cuh"

namespace {

int failures = 0;

ops_bf16 store(float x) { return static_cast<ops_bf16>(__float_as_uint(attn_bf16_round(x)) >> 16); }
float load(ops_bf16 x) { return __uint_as_float(static_cast<unsigned int>(x) << 16); }

std::vector<ops_bf16> to_device(const std::vector<float>& x)
{
    std::vector<ops_bf16> r(x.size());
    for (size_t i = 0; i < x.size(); ++i) r[i] = store(x[i]);
    return r;
}

std::vector<float> to_host(const std::vector<ops_bf16>& x)
{
    std::vector<float> r(x.size());
    for (size_t i = 0; i < x.size(); ++i) r[i] = load(x[i]);
    return r;
}

std::vector<float> random_values(std::mt19937& rng, size_t n, float scale, bool round)
{
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = round ? attn_bf16_round(u(rng)) : u(rng);
    return v;
}

void check(const char* name, const char* what, double error, double bound)
{
    const bool ok = error < bound;   // NaN fails
    if (!ok) ++failures;
    std::printf("  %-4s %-40s %-4s rel err %.3g (bound %.0e)\n", ok ? "ok" : "FAIL", name, what, error, bound);
}

void run(const char* name, const AttnProblem& p, int warps)
{
    const auto ref = attention_reference(p);
    const int W = p.width();
    auto q = to_device(p.q), k = to_device(p.k), v = to_device(p.v), dout = to_device(p.dout);
    std::vector<ops_bf16> out(static_cast<size_t>(p.batch) * p.queryLen * W, store(NAN));
    std::vector<float> lse(static_cast<size_t>(p.batch) * p.heads * p.queryLen, NAN), delta(lse.size(), NAN);
    std::vector<float> dq(out.size(), 0.0f);
    std::vector<ops_bf16> dk(k.size(), store(NAN)), dv(k.size(), store(NAN));

    AttentionFlashArgs a{};
    a.out = out.data(); a.lse = lse.data(); a.q = q.data(); a.k = k.data(); a.v = v.data();
    a.keyMask = p.keyMask.empty() ? nullptr : p.keyMask.data();
    a.biasTable = p.table.empty() ? nullptr : p.table.data();
    a.bias = p.bias.empty() ? nullptr : p.bias.data();
    a.dqAccum = dq.data(); a.dk = dk.data(); a.dv = dv.data(); a.dout = dout.data(); a.delta = delta.data();
    a.batch = p.batch; a.heads = p.heads; a.queryLen = p.queryLen; a.keyLen = p.keyLen; a.capacity = p.capacity;
    a.maskStride = p.keyLen; a.biasStride = p.keyLen; a.causal = p.causal; a.queryOffset = p.queryOffset;
    a.buckets = p.buckets; a.bidirectional = p.bidirectional; a.tableBf16 = 0; a.scale = p.scale;
    const int maxExact = (p.bidirectional ? p.buckets / 2 : p.buckets) / 2;
    a.logRatio = static_cast<float>(std::log(static_cast<double>(p.maxDistance) / maxExact));

    // at 8 warps the byte counts of CudaBackend.Flash5{Forward,Backward}SharedBytes
    if (attn4_forward_smem(warps, p.keyLen) > sizeof attn5_emu_smem || attn4_backward_smem(warps, p.queryLen) > sizeof attn5_emu_smem) {
        std::printf("shape too large for the emulated shared memory\n");
        std::exit(2);
    }
    const unsigned threads = 32u * warps, tile = 16u * warps;
    std::memset(attn5_emu_smem, 0xff, sizeof attn5_emu_smem);   // NaN-ish garbage: reads of unwritten shared memory show up
    emu::launch(warps == 4 ? attn4_forward_w4 : attention_flash5_forward_bf16_64,
                dim3{(p.queryLen + tile - 1) / tile, static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch)}, threads, a, true);
    char full[128];
    std::snprintf(full, sizeof full, "%s (%d warps)", name, warps);
    check(full, "out", attn_relative_error(to_host(out), ref.out), 2e-2);
    check(full, "lse", attn_relative_error(lse, ref.lse), 1e-2);

    AttentionFlashDeltaArgs da{delta.data(), dout.data(), out.data(), p.batch, p.heads, p.queryLen, 64, 6};
    const long long rows = static_cast<long long>(p.batch) * p.queryLen * p.heads;
    emu::launch(attention_flash_delta, dim3{static_cast<unsigned>((rows + 7) / 8), 1, 1}, 256, da, true);
    std::memset(attn5_emu_smem, 0xff, sizeof attn5_emu_smem);
    emu::launch(warps == 4 ? attn4_backward_w4 : attention_flash5_backward_bf16_64,
                dim3{(p.capacity + tile - 1) / tile, static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch)}, threads, a, true);
    check(full, "dQ", attn_relative_error(dq, ref.dq), 2e-2);
    check(full, "dK", attn_relative_error(to_host(dk), ref.dk), 2e-2);
    check(full, "dV", attn_relative_error(to_host(dv), ref.dv), 2e-2);
}

struct Shape {
    const char* name;
    int batch, heads, queryLen, capacity, keyLen, queryOffset;
    bool causal, mask, table, bidirectional, dense;
    float scale;
};

void run_shape(const Shape& s, std::mt19937& rng, int warps)
{
    AttnProblem p;
    p.batch = s.batch; p.heads = s.heads; p.headDim = 64; p.queryLen = s.queryLen; p.capacity = s.capacity;
    p.keyLen = s.keyLen; p.queryOffset = s.queryOffset; p.causal = s.causal; p.bidirectional = s.bidirectional; p.scale = s.scale;
    const int W = p.width();
    p.q = random_values(rng, static_cast<size_t>(p.batch) * p.queryLen * W, 1.0f, true);
    p.k = random_values(rng, static_cast<size_t>(p.batch) * p.capacity * W, 1.0f, true);
    p.v = random_values(rng, p.k.size(), 1.0f, true);
    p.dout = random_values(rng, p.q.size(), 1.0f, true);
    if (s.mask) {
        p.keyMask.resize(static_cast<size_t>(p.batch) * p.keyLen);
        for (int b = 0; b < p.batch; ++b)   // example 0 sees nothing when there are several; the rest miss a trailing pad and a few keys
            for (int j = 0; j < p.keyLen; ++j)
                p.keyMask[static_cast<size_t>(b) * p.keyLen + j] = p.batch > 1 && b == 0 ? 0 : (j < p.keyLen - 3 * b && rng() % 5 != 0);
    }
    if (s.table) p.table = random_values(rng, static_cast<size_t>(p.buckets) * p.heads, 2.0f, false);
    if (s.dense) p.bias = random_values(rng, static_cast<size_t>(p.heads) * p.queryLen * p.keyLen, 2.0f, false);
    run(s.name, p, warps);
}

}  // namespace

int main(int argc, char** argv)
{
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    std::mt19937 rng(argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 1234u);
    const Shape shapes[] = {
        {"t5-encoder (table, mask, T=150)", 2, 1, 150, 150, 150, 0, false, true, true, true, false, 1.0f},
        {"t5-decoder (causal, table, T=70)", 1, 1, 70, 70, 70, 0, true, false, true, false, false, 1.0f},
        {"causal, dense bias, scale (T=19)", 1, 1, 19, 19, 19, 0, true, false, false, true, true, 0.125f},
        {"cross (Tq 21, Tk 90, mask)", 2, 1, 21, 90, 90, 0, false, true, false, true, false, 1.0f},
        {"kv cache (Tk 23 < Tcap 40, offset 18)", 1, 2, 5, 40, 23, 18, true, false, true, false, false, 1.0f},
    };
    const int only = argc > 2 ? std::atoi(argv[2]) : -1;
    const int warpsOnly = argc > 3 ? std::atoi(argv[3]) : 0;
    for (int warps : {4, 8}) {
        if (warpsOnly != 0 && warps != warpsOnly) continue;
        for (int i = 0; i < static_cast<int>(sizeof shapes / sizeof shapes[0]); ++i)
            if (only < 0 || i == only) run_shape(shapes[i], rng, warps);
    }
    std::printf(failures == 0 ? "all checks passed\n" : "%d checks FAILED\n", failures);
    return failures == 0 ? 0 : 1;
}
