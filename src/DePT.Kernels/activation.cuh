/*
Feed-forward activations, forward and backward, fp32 math; every tensor fp32 or bf16 (bit i of `bf16` =
the i-th pointer). fn is DePT.Models.ActivationFunction: 0 relu, 1 gelu (erf), 2 gelu_tanh, 3 silu, 4 tanh.
    relu       f = max(x, 0)                              f' = 1 if x > 0 else 0
    gelu       f = x/2 · erfc(−x/√2)                      f' = erfc(−x/√2)/2 + x · exp(−x²/2)/√(2π)
    gelu_tanh  f = x/2 · (1 + tanh(u)) = x·σ(2u),  u = √(2/π)·(x + 0.044715·x³)
               f' = σ(2u) + 2x·σ(2u)(1 − σ(2u)) · √(2/π)·(1 + 3·0.044715·x²)
    (the erfc and sigmoid forms avoid the cancellation of 1 + erf and 1 + tanh far in the negative tail)
    silu       f = x · σ(x)                               f' = σ(x) · (1 + x·(1 − σ(x)))
    tanh       f = tanh(x)                                f' = 1 − tanh²(x) = 4e/(1 + e)², e = exp(−2|x|)

    act_forward          out = f(inp)                           (count) elements; out may be inp
    act_backward         dinp = dout · f'(inp)                  (count) elements
    gated_act_forward    out (N, F) = f(gate) · up              inp (N, 2F) = [gate | up] per row
    gated_act_backward   dinp (N, 2F) = [dout · up · f'(gate) | dout · f(gate)]
dinp is an activation gradient: assigned. Each element is read and written by one thread, so an output
may alias an input of the same dtype and shape.

Launch geometry: blockDim (256, 1, 1), gridDim.x = min(ceil(chunks / 256), 16 · number of SMs), chunks of
8 consecutive elements in a grid-stride loop; the gated kernels take chunks of 8 columns of one row
(ceil(F / 8) chunks per row). 16-byte accesses when every base is 16-byte aligned (gated: and F % 8 == 0).
*/
#pragma once

#include "ops_common.cuh"

#define OPS_ACT_RELU 0
#define OPS_ACT_GELU 1
#define OPS_ACT_GELU_TANH 2
#define OPS_ACT_SILU 3
#define OPS_ACT_TANH 4

struct ActArgs {
    void* out;           // (count)
    const void* inp;     // (count)
    long long count;
    int bf16;            // bit 0 out, bit 1 inp
    int fn;
};

struct ActBackwardArgs {
    void* dinp;          // (count)
    const void* dout;    // (count)
    const void* inp;     // (count)
    long long count;
    int bf16;            // bit 0 dinp, bit 1 dout, bit 2 inp
    int fn;
};

struct GatedActArgs {
    void* out;           // (N, F)
    const void* inp;     // (N, 2F)   [gate | up]
    int rows, ff;        // N, F
    int bf16;            // bit 0 out, bit 1 inp
    int fn;
};

struct GatedActBackwardArgs {
    void* dinp;          // (N, 2F)
    const void* dout;    // (N, F)
    const void* inp;     // (N, 2F)
    int rows, ff;
    int bf16;            // bit 0 dinp, bit 1 dout, bit 2 inp
    int fn;
};

static_assert(sizeof(ActArgs) == 32, "ActArgs layout changed: update the C# mirror");
static_assert(sizeof(ActBackwardArgs) == 40, "ActBackwardArgs layout changed: update the C# mirror");
static_assert(sizeof(GatedActArgs) == 32, "GatedActArgs layout changed: update the C# mirror");
static_assert(sizeof(GatedActBackwardArgs) == 40, "GatedActBackwardArgs layout changed: update the C# mirror");

#define OPS_SQRT_2_OVER_PI 0.7978845608028654f
#define OPS_INV_SQRT_2 0.7071067811865476f
#define OPS_INV_SQRT_2PI 0.3989422804014327f
#define OPS_GELU_CUBIC 0.044715f

__device__ __forceinline__ float ops_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

__device__ __forceinline__ float ops_act(int fn, float x)
{
    switch (fn) {
    case OPS_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case OPS_ACT_GELU: return 0.5f * x * erfcf(-x * OPS_INV_SQRT_2);
    case OPS_ACT_GELU_TANH: return x * ops_sigmoid(2.0f * OPS_SQRT_2_OVER_PI * (x + OPS_GELU_CUBIC * x * x * x));
    case OPS_ACT_TANH: return tanhf(x);
    default: return x * ops_sigmoid(x);
    }
}

__device__ __forceinline__ float ops_act_grad(int fn, float x)
{
    switch (fn) {
    case OPS_ACT_RELU: return x > 0.0f ? 1.0f : 0.0f;
    case OPS_ACT_GELU: return 0.5f * erfcf(-x * OPS_INV_SQRT_2) + x * expf(-0.5f * x * x) * OPS_INV_SQRT_2PI;
    case OPS_ACT_GELU_TANH: {
        // (1 + tanh(u))/2 = σ(2u) and (1 − tanh²(u))/2 = 2σ(2u)(1 − σ(2u)): no cancellation for x ≪ 0
        const float s = ops_sigmoid(2.0f * OPS_SQRT_2_OVER_PI * (x + OPS_GELU_CUBIC * x * x * x));
        return s + 2.0f * x * s * (1.0f - s) * OPS_SQRT_2_OVER_PI * (1.0f + 3.0f * OPS_GELU_CUBIC * x * x);
    }
    case OPS_ACT_TANH: {
        // 1 − tanh²(x) = 4e/(1 + e)² with e = exp(−2|x|): no cancellation where tanh(x) is near ±1
        const float e = expf(-2.0f * fabsf(x));
        return 4.0f * e / ((1.0f + e) * (1.0f + e));
    }
    default: {
        const float s = ops_sigmoid(x);
        return s * (1.0f + x * (1.0f - s));
    }
    }
}

extern "C" __global__ void __launch_bounds__(256) act_forward(const ActArgs a)
{
    const bool vec = ops_aligned16(a.out) && ops_aligned16(a.inp);
    const long long chunks = (a.count + 7) / 8;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long i = c * 8;
        const int n = static_cast<int>(ops_min64(8, a.count - i));
        float x[8];
        ops_load8(a.inp, ops_bit(a.bf16, 1), i, n, vec, x);
#pragma unroll
        for (int j = 0; j < 8; ++j) x[j] = ops_act(a.fn, x[j]);
        ops_store8(a.out, ops_bit(a.bf16, 0), i, n, vec, x);
    }
}

extern "C" __global__ void __launch_bounds__(256) act_backward(const ActBackwardArgs a)
{
    const bool vec = ops_aligned16(a.dinp) && ops_aligned16(a.dout) && ops_aligned16(a.inp);
    const long long chunks = (a.count + 7) / 8;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long i = c * 8;
        const int n = static_cast<int>(ops_min64(8, a.count - i));
        float g[8], x[8];
        ops_load8(a.dout, ops_bit(a.bf16, 1), i, n, vec, g);
        ops_load8(a.inp, ops_bit(a.bf16, 2), i, n, vec, x);
#pragma unroll
        for (int j = 0; j < 8; ++j) g[j] *= ops_act_grad(a.fn, x[j]);
        ops_store8(a.dinp, ops_bit(a.bf16, 0), i, n, vec, g);
    }
}

extern "C" __global__ void __launch_bounds__(256) gated_act_forward(const GatedActArgs a)
{
    const bool vec = (a.ff & 7) == 0 && ops_aligned16(a.out) && ops_aligned16(a.inp);
    const long long chunksPerRow = (a.ff + 7) / 8;
    const long long chunks = chunksPerRow * a.rows;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long row = c / chunksPerRow;
        const int col = static_cast<int>(c - row * chunksPerRow) * 8;
        const int n = ops_min(8, a.ff - col);
        const long long gate = row * 2 * a.ff + col;
        float g[8], u[8];
        ops_load8(a.inp, ops_bit(a.bf16, 1), gate, n, vec, g);
        ops_load8(a.inp, ops_bit(a.bf16, 1), gate + a.ff, n, vec, u);
#pragma unroll
        for (int j = 0; j < 8; ++j) g[j] = ops_act(a.fn, g[j]) * u[j];
        ops_store8(a.out, ops_bit(a.bf16, 0), row * a.ff + col, n, vec, g);
    }
}

extern "C" __global__ void __launch_bounds__(256) gated_act_backward(const GatedActBackwardArgs a)
{
    const bool vec = (a.ff & 7) == 0 && ops_aligned16(a.dinp) && ops_aligned16(a.dout) && ops_aligned16(a.inp);
    const long long chunksPerRow = (a.ff + 7) / 8;
    const long long chunks = chunksPerRow * a.rows;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long row = c / chunksPerRow;
        const int col = static_cast<int>(c - row * chunksPerRow) * 8;
        const int n = ops_min(8, a.ff - col);
        const long long gate = row * 2 * a.ff + col;
        float dy[8], g[8], u[8], dg[8], du[8];
        ops_load8(a.dout, ops_bit(a.bf16, 1), row * a.ff + col, n, vec, dy);
        ops_load8(a.inp, ops_bit(a.bf16, 2), gate, n, vec, g);
        ops_load8(a.inp, ops_bit(a.bf16, 2), gate + a.ff, n, vec, u);
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            dg[j] = dy[j] * u[j] * ops_act_grad(a.fn, g[j]);
            du[j] = dy[j] * ops_act(a.fn, g[j]);
        }
        ops_store8(a.dinp, ops_bit(a.bf16, 0), gate, n, vec, dg);
        ops_store8(a.dinp, ops_bit(a.bf16, 0), gate + a.ff, n, vec, du);
    }
}
