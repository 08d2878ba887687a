/*
Row normalisations over the last dimension d of x (N, d), forward and backward, fp32 math; x, out, weight,
bias and the gradients are fp32 or bf16 each (bit i of `bf16` = the i-th pointer), the saved statistics
mean and rstd (N) are fp32.

T5's RMS norm (no mean, no bias):
    r = 1 / sqrt(mean_j(x_j²) + eps)          out_j = x_j · r · w_j
    dx_j = r · (g_j·w_j − x_j · r² · mean_k(g_k·w_k·x_k))
LayerNorm:
    μ = mean_j(x_j)   r = 1 / sqrt(mean_j((x_j − μ)²) + eps)   x̂_j = (x_j − μ)·r   out_j = x̂_j·w_j + b_j
    dx_j = r · (g_j·w_j − mean_k(g_k·w_k) − x̂_j · mean_k(g_k·w_k·x̂_k))
THE = / += RULE: dx is an activation gradient, assigned unless `accumulate` is set (then added, for a
residual branch whose gradient already holds the skip path). Weights are frozen: no dw, no db.

Launch geometry (all four): one block per row, gridDim (N, 1, 1), blockDim.x = a multiple of 32 between
32 and 256, about d / 8 (each thread takes chunks of 8 columns, striding by blockDim.x · 8). The row is
read twice (three times for LayerNorm's forward: mean, then the centred variance, then the output); the
later reads come from L1/L2. 16-byte accesses when d % 8 == 0 and every base pointer is 16-byte aligned.
*/
#pragma once

#include "ops_common.cuh"

struct RmsNormArgs {
    void* out;             // (N, d)
    float* rstd;           // (N)     saved r
    const void* inp;       // (N, d)
    const void* weight;    // (d)
    int rows, dim;         // N, d
    int bf16;              // bit 0 out, bit 2 inp, bit 3 weight
    float eps;
};

struct RmsNormBackwardArgs {
    void* dinp;            // (N, d)  = or += (accumulate)
    const void* dout;      // (N, d)
    const void* inp;       // (N, d)
    const void* weight;    // (d)
    const float* rstd;     // (N)     from the forward
    int rows, dim, accumulate;
    int bf16;              // bit 0 dinp, bit 1 dout, bit 2 inp, bit 3 weight
};

struct LayerNormArgs {
    void* out;             // (N, d)
    float* mean;           // (N)     saved μ
    float* rstd;           // (N)     saved r
    const void* inp;       // (N, d)
    const void* weight;    // (d)
    const void* bias;      // (d)
    int rows, dim;
    int bf16;              // bit 0 out, bit 3 inp, bit 4 weight, bit 5 bias
    float eps;
};

struct LayerNormBackwardArgs {
    void* dinp;            // (N, d)  = or += (accumulate)
    const void* dout;      // (N, d)
    const void* inp;       // (N, d)
    const void* weight;    // (d)
    const float* mean;     // (N)
    const float* rstd;     // (N)
    int rows, dim, accumulate;
    int bf16;              // bit 0 dinp, bit 1 dout, bit 2 inp, bit 3 weight
};

static_assert(sizeof(RmsNormArgs) == 48, "RmsNormArgs layout changed: update the C# mirror");
static_assert(sizeof(RmsNormBackwardArgs) == 56, "RmsNormBackwardArgs layout changed: update the C# mirror");
static_assert(sizeof(LayerNormArgs) == 64, "LayerNormArgs layout changed: update the C# mirror");
static_assert(sizeof(LayerNormBackwardArgs) == 64, "LayerNormBackwardArgs layout changed: update the C# mirror");

extern "C" __global__ void __launch_bounds__(256) rmsnorm_forward(const RmsNormArgs a)
{
    const long long row = blockIdx.x;
    const long long base = row * a.dim;
    const bool outBf16 = ops_bit(a.bf16, 0), inBf16 = ops_bit(a.bf16, 2), wBf16 = ops_bit(a.bf16, 3);
    const bool vec = (a.dim & 7) == 0 && ops_aligned16(a.out) && ops_aligned16(a.inp) && ops_aligned16(a.weight);
    const int step = blockDim.x * 8;

    float sumsq = 0.0f;
    for (int c = threadIdx.x * 8; c < a.dim; c += step) {
        float x[8];
        ops_load8(a.inp, inBf16, base + c, ops_min(8, a.dim - c), vec, x);
#pragma unroll
        for (int j = 0; j < 8; ++j) sumsq += x[j] * x[j];
    }
    sumsq = ops_block_sum(sumsq);
    const float r = 1.0f / sqrtf(sumsq / a.dim + a.eps);
    if (threadIdx.x == 0) a.rstd[row] = r;

    for (int c = threadIdx.x * 8; c < a.dim; c += step) {
        const int n = ops_min(8, a.dim - c);
        float x[8], w[8];
        ops_load8(a.inp, inBf16, base + c, n, vec, x);
        ops_load8(a.weight, wBf16, c, n, vec, w);
#pragma unroll
        for (int j = 0; j < 8; ++j) x[j] = x[j] * r * w[j];
        ops_store8(a.out, outBf16, base + c, n, vec, x);
    }
}

extern "C" __global__ void __launch_bounds__(256) rmsnorm_backward(const RmsNormBackwardArgs a)
{
    const long long row = blockIdx.x;
    const long long base = row * a.dim;
    const bool dinBf16 = ops_bit(a.bf16, 0), doutBf16 = ops_bit(a.bf16, 1), inBf16 = ops_bit(a.bf16, 2), wBf16 = ops_bit(a.bf16, 3);
    const bool vec = (a.dim & 7) == 0 && ops_aligned16(a.dinp) && ops_aligned16(a.dout) && ops_aligned16(a.inp) && ops_aligned16(a.weight);
    const int step = blockDim.x * 8;
    const float r = a.rstd[row];

    float dot = 0.0f;   // Σ g·w·x
    for (int c = threadIdx.x * 8; c < a.dim; c += step) {
        const int n = ops_min(8, a.dim - c);
        float g[8], w[8], x[8];
        ops_load8(a.dout, doutBf16, base + c, n, vec, g);
        ops_load8(a.weight, wBf16, c, n, vec, w);
        ops_load8(a.inp, inBf16, base + c, n, vec, x);
#pragma unroll
        for (int j = 0; j < 8; ++j) dot += g[j] * w[j] * x[j];
    }
    dot = ops_block_sum(dot);
    const float coef = r * r * dot / a.dim;

    for (int c = threadIdx.x * 8; c < a.dim; c += step) {
        const int n = ops_min(8, a.dim - c);
        float g[8], w[8], x[8], d[8];
        ops_load8(a.dout, doutBf16, base + c, n, vec, g);
        ops_load8(a.weight, wBf16, c, n, vec, w);
        ops_load8(a.inp, inBf16, base + c, n, vec, x);
        if (a.accumulate) ops_load8(a.dinp, dinBf16, base + c, n, vec, d);
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const float v = r * (g[j] * w[j] - x[j] * coef);
            d[j] = a.accumulate ? d[j] + v : v;
        }
        ops_store8(a.dinp, dinBf16, base + c, n, vec, d);
    }
}

extern "C" __global__ void __launch_bounds__(256) layernorm_forward(const LayerNormArgs a)
{
    const long long row = blockIdx.x;
    const long long base = row * a.dim;
    const bool outBf16 = ops_bit(a.bf16, 0), inBf16 = ops_bit(a.bf16, 3), wBf16 = ops_bit(a.bf16, 4), bBf16 = ops_bit(a.bf16, 5);
    const bool vec = (a.dim & 7) == 0 && ops_aligned16(a.out) && ops_aligned16(a.inp) && ops_aligned16(a.weight) && ops_aligned16(a.bias);
    const int step = blockDim.x * 8;

    float sum = 0.0f;
    for (int c = threadIdx.x * 8; c < a.dim; c += step) {
        float x[8];
        ops_load8(a.inp, inBf16, base + c, ops_min(8, a.dim - c), vec, x);
#pragma unroll
        for (int j = 0; j < 8; ++j) sum += x[j];
    }
    const float mu = ops_block_sum(sum) / a.dim;

    // the centred second pass keeps the variance accurate when |μ| is large next to the spread
    float sumsq = 0.0f;
    for (int c = threadIdx.x * 8; c < a.dim; c += step) {
        const int n = ops_min(8, a.dim - c);
        float x[8];
        ops_load8(a.inp, inBf16, base + c, n, vec, x);
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const float centred = j < n ? x[j] - mu : 0.0f;
            sumsq += centred * centred;
        }
    }
    const float r = 1.0f / sqrtf(ops_block_sum(sumsq) / a.dim + a.eps);
    if (threadIdx.x == 0) {
        a.mean[row] = mu;
        a.rstd[row] = r;
    }

    for (int c = threadIdx.x * 8; c < a.dim; c += step) {
        const int n = ops_min(8, a.dim - c);
        float x[8], w[8], b[8];
        ops_load8(a.inp, inBf16, base + c, n, vec, x);
        ops_load8(a.weight, wBf16, c, n, vec, w);
        ops_load8(a.bias, bBf16, c, n, vec, b);
#pragma unroll
        for (int j = 0; j < 8; ++j) x[j] = (x[j] - mu) * r * w[j] + b[j];
        ops_store8(a.out, outBf16, base + c, n, vec, x);
    }
}

extern "C" __global__ void __launch_bounds__(256) layernorm_backward(const LayerNormBackwardArgs a)
{
    const long long row = blockIdx.x;
    const long long base = row * a.dim;
    const bool dinBf16 = ops_bit(a.bf16, 0), doutBf16 = ops_bit(a.bf16, 1), inBf16 = ops_bit(a.bf16, 2), wBf16 = ops_bit(a.bf16, 3);
    const bool vec = (a.dim & 7) == 0 && ops_aligned16(a.dinp) && ops_aligned16(a.dout) && ops_aligned16(a.inp) && ops_aligned16(a.weight);
    const int step = blockDim.x * 8;
    const float mu = a.mean[row], r = a.rstd[row];

    float sumGw = 0.0f, sumGwXhat = 0.0f;
    for (int c = threadIdx.x * 8; c < a.dim; c += step) {
        const int n = ops_min(8, a.dim - c);
        float g[8], w[8], x[8];
        ops_load8(a.dout, doutBf16, base + c, n, vec, g);
        ops_load8(a.weight, wBf16, c, n, vec, w);
        ops_load8(a.inp, inBf16, base + c, n, vec, x);
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const float gw = g[j] * w[j];   // zero past n: g is loaded as zeros there
            sumGw += gw;
            sumGwXhat += gw * (x[j] - mu) * r;
        }
    }
    const float meanGw = ops_block_sum(sumGw) / a.dim;
    const float meanGwXhat = ops_block_sum(sumGwXhat) / a.dim;

    for (int c = threadIdx.x * 8; c < a.dim; c += step) {
        const int n = ops_min(8, a.dim - c);
        float g[8], w[8], x[8], d[8];
        ops_load8(a.dout, doutBf16, base + c, n, vec, g);
        ops_load8(a.weight, wBf16, c, n, vec, w);
        ops_load8(a.inp, inBf16, base + c, n, vec, x);
        if (a.accumulate) ops_load8(a.dinp, dinBf16, base + c, n, vec, d);
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const float v = r * (g[j] * w[j] - meanGw - (x[j] - mu) * r * meanGwXhat);
            d[j] = a.accumulate ? d[j] + v : v;
        }
        ops_store8(a.dinp, dinBf16, base + c, n, vec, d);
    }
}
