/*
The optimiser: a deterministic squared norm and torch.optim.AdamW's update after global gradient-norm
clipping, all in fp32 storage (parameters, gradients and both moments are fp32 on every backend).

    optim_squared_norm_partial   partials[block] = Σ inp[i]² over the elements this block visits    (double)
    optim_squared_norm_final     result[0] = Σ partials[0 .. blocks)  (+ result[0] when accumulate), rounded to fp32
    optim_adamw                  with c = min(1, maxGradNorm / (sqrt(squaredGradNorm[0]) + 1e-6)) (c = 1 when
                                 squaredGradNorm is null) and g = c · grad, per element:
                                     p = p · decay                       decay = 1 − lr·wd (decoupled weight decay)
                                     m = m + (1 − β1) · (g − m)          torch's lerp form of β1·m + (1 − β1)·g
                                     v = v · β2 + ((1 − β2) · g) · g
                                     p = p − stepSize · (m / (sqrt(v) / bias2Sqrt + eps))
                                 stepSize = lr / (1 − β1ᵗ) and bias2Sqrt = sqrt(1 − β2ᵗ) are computed on the host in
                                 double and rounded once, as torch computes its Python scalars.
Shapes: inp, param, grad, m, v (count) fp32, any shape read flat; result, squaredGradNorm (1) fp32.

The clip coefficient is read on the device, so a training step queues norm and update without waiting for
the host. The norm is deterministic: each thread sums its elements in a fixed order, a block sums its
threads by a fixed tree in shared memory, and one block sums the block partials in index order; the block
count depends on the element count only (the host caps it at a constant, not at the device's SM count),
so the same input gives the same bits on every run and every device. Squares and sums are in double, so
the result is the fp32 rounding of a nearly exact sum. The update writes every operation with an
explicit rounding intrinsic (__fmul_rn, __fadd_rn, ...), which the compiler never contracts into an FMA,
so it rounds exactly as the CPU backend's fp32 loop does.

Launch geometry: blockDim (256, 1, 1), a power of two (the tree sums depend on it).
    optim_squared_norm_partial   gridDim.x = blocks = clamp(ceil(count / 8 / 256), 1, 1024); chunks of 8 grid-stride
    optim_squared_norm_final     gridDim.x = 1
    optim_adamw                  the elementwise grid: min(ceil(count / 8 / 256), 16 · SMs); chunks of 8 grid-stride
16-byte accesses when every base pointer is 16-byte aligned, element by element otherwise.
*/
#pragma once

#include "ops_common.cuh"

struct SquaredNormPartialArgs {
    double* partials;          // (blocks)  one sum per block
    const float* inp;          // (count)
    long long count;
};

struct SquaredNormFinalArgs {
    float* result;             // (1)
    const double* partials;    // (blocks)
    int blocks;
    int accumulate;            // 1: result += Σ, 0: result = Σ
};

struct AdamWArgs {
    float* param;                  // (count)  updated in place
    const float* grad;             // (count)  read only
    float* firstMoment;            // (count)  m, updated in place
    float* secondMoment;           // (count)  v, updated in place
    const float* squaredGradNorm;  // (1)      Σ of every gradient² of the step, or null: no clipping
    long long count;
    float decay;                   // 1 − lr·wd
    float beta1Weight;             // 1 − β1
    float beta2;                   // β2
    float beta2Weight;             // 1 − β2
    float stepSize;                // lr / (1 − β1ᵗ)
    float bias2Sqrt;               // sqrt(1 − β2ᵗ)
    float eps;
    float maxGradNorm;             // the clipping threshold (used with squaredGradNorm only)
};

static_assert(sizeof(SquaredNormPartialArgs) == 24, "SquaredNormPartialArgs layout changed: update the C# mirror");
static_assert(sizeof(SquaredNormFinalArgs) == 24, "SquaredNormFinalArgs layout changed: update the C# mirror");
static_assert(sizeof(AdamWArgs) == 80, "AdamWArgs layout changed: update the C# mirror");

// The block's total of v in a fixed tree order, valid in thread 0 only. blockDim.x must be a power of two ≤ 256.
__device__ __forceinline__ double optim_block_sum(double v)
{
    __shared__ double sums[256];
    const int t = threadIdx.x;
    sums[t] = v;
    for (int half = blockDim.x >> 1; half > 0; half >>= 1) {
        __syncthreads();
        if (t < half) sums[t] += sums[t + half];
    }
    return sums[0];
}

extern "C" __global__ void __launch_bounds__(256) optim_squared_norm_partial(const SquaredNormPartialArgs a)
{
    const bool vec = ops_aligned16(a.inp);
    const long long chunks = (a.count + 7) / 8;
    double sum = 0.0;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long i = c * 8;
        float x[8];
        ops_load8(a.inp, false, i, static_cast<int>(ops_min64(8, a.count - i)), vec, x);   // missing elements load as 0
#pragma unroll
        for (int j = 0; j < 8; ++j) sum += static_cast<double>(x[j]) * static_cast<double>(x[j]);   // exact square
    }
    const double total = optim_block_sum(sum);
    if (threadIdx.x == 0) a.partials[blockIdx.x] = total;
}

extern "C" __global__ void __launch_bounds__(256) optim_squared_norm_final(const SquaredNormFinalArgs a)
{
    double sum = 0.0;
    for (int i = threadIdx.x; i < a.blocks; i += blockDim.x) sum += a.partials[i];
    double total = optim_block_sum(sum);
    if (threadIdx.x == 0) {
        if (a.accumulate) total += static_cast<double>(a.result[0]);
        a.result[0] = static_cast<float>(total);
    }
}

// torch.nn.utils.clip_grad_norm_'s coefficient, clamped at 1; a NaN norm gives NaN, as torch's clamp does
__device__ __forceinline__ float optim_clip_coefficient(float squaredNorm, float maxNorm)
{
    const float coefficient = __fdiv_rn(maxNorm, __fadd_rn(__fsqrt_rn(squaredNorm), 1e-6f));
    return coefficient > 1.0f ? 1.0f : coefficient;
}

extern "C" __global__ void __launch_bounds__(256) optim_adamw(const AdamWArgs a)
{
    const float clip = a.squaredGradNorm != nullptr ? optim_clip_coefficient(a.squaredGradNorm[0], a.maxGradNorm) : 1.0f;
    const bool vec = ops_aligned16(a.param) && ops_aligned16(a.grad) && ops_aligned16(a.firstMoment) && ops_aligned16(a.secondMoment);
    const long long chunks = (a.count + 7) / 8;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long i = c * 8;
        const int n = static_cast<int>(ops_min64(8, a.count - i));
        float p[8], g[8], m[8], v[8];
        ops_load8(a.param, false, i, n, vec, p);
        ops_load8(a.grad, false, i, n, vec, g);
        ops_load8(a.firstMoment, false, i, n, vec, m);
        ops_load8(a.secondMoment, false, i, n, vec, v);
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const float gj = __fmul_rn(g[j], clip);
            const float pj = __fmul_rn(p[j], a.decay);
            m[j] = __fadd_rn(m[j], __fmul_rn(a.beta1Weight, __fsub_rn(gj, m[j])));
            v[j] = __fadd_rn(__fmul_rn(v[j], a.beta2), __fmul_rn(__fmul_rn(a.beta2Weight, gj), gj));
            const float denominator = __fadd_rn(__fdiv_rn(__fsqrt_rn(v[j]), a.bias2Sqrt), a.eps);
            p[j] = __fsub_rn(pj, __fmul_rn(a.stepSize, __fdiv_rn(m[j], denominator)));
        }
        ops_store8(a.param, false, i, n, vec, p);
        ops_store8(a.firstMoment, false, i, n, vec, m);
        ops_store8(a.secondMoment, false, i, n, vec, v);
    }
}
