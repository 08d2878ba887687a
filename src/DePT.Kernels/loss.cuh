/*
Row ops over vocabulary-sized rows: logits (N, V) fp32 or bf16 (bit i of `bf16` = the i-th pointer),
math in fp32.

    softmax_cross_entropy   losses[n] = log Σ_j exp(x_j) − x_label   (log-sum-exp around the row maximum)
                            = 0 where labels[n] == ignoreIndex
                            with writeGradient: logits[n, :] = (softmax(x) − onehot(label)) · gradientScale,
                            zeros where ignored: the logits become their own gradient, never held twice
    argmax_rows             indices[n] = argmax_j x_j, ties to the lowest index. NaN as the CPU reference's scan
                            (best = 0; best = j when x_j > x_best) leaves it: a NaN never wins, except that a
                            NaN at column 0 (or a row of NaN only) gives 0

Errors: a label outside [0, V) that is not ignoreIndex -> code 1 {1, label, n, V} in the error word (first
error wins); that row is treated as ignored (loss 0, gradient zeros), so nothing is read out of bounds.

Launch geometry: one block per row, gridDim (N, 1, 1), blockDim (256, 1, 1) (up to 1024, a multiple of 32);
each thread takes chunks of 8 columns, striding by blockDim.x · 8. The cross-entropy keeps an online
maximum and sum per thread, combines them across the block, then (with a gradient) reads the row once
more and overwrites it in place; the label's logit is read before the first barrier, so before any
thread overwrites it. 16-byte accesses when V % 8 == 0 and the base is 16-byte aligned.
*/
#pragma once

#include "ops_common.cuh"

struct CrossEntropyArgs {
    float* losses;         // (N)
    void* logits;          // (N, V)   read; overwritten by the gradient when writeGradient != 0
    const int* labels;     // (N)
    int* errorWord;        // (4)
    int rows, vocab, ignoreIndex, writeGradient;
    int bf16;              // bit 1 logits
    float gradientScale;
};

struct ArgMaxArgs {
    int* indices;          // (N)
    const void* logits;    // (N, V)
    int rows, vocab;
    int bf16;              // bit 1 logits
};

static_assert(sizeof(CrossEntropyArgs) == 56, "CrossEntropyArgs layout changed: update the C# mirror");
static_assert(sizeof(ArgMaxArgs) == 32, "ArgMaxArgs layout changed: update the C# mirror");

extern "C" __global__ void __launch_bounds__(1024) softmax_cross_entropy(const CrossEntropyArgs a)
{
    __shared__ float labelLogit;
    const long long row = blockIdx.x;
    const long long base = row * a.vocab;
    const bool bf16 = ops_bit(a.bf16, 1);
    const bool vec = (a.vocab & 7) == 0 && ops_aligned16(a.logits);
    const int step = blockDim.x * 8;
    const int label = a.labels[row];
    const bool outside = label != a.ignoreIndex && (label < 0 || label >= a.vocab);
    if (outside && threadIdx.x == 0) ops_report_error(a.errorWord, OPS_ERR_TOKEN_ID, label, static_cast<int>(row), a.vocab);

    if (label == a.ignoreIndex || outside) {   // the same for the whole block: no barrier is skipped by part of it
        if (threadIdx.x == 0) a.losses[row] = 0.0f;
        if (a.writeGradient) {
            float z[8];
#pragma unroll
            for (int j = 0; j < 8; ++j) z[j] = 0.0f;
            for (int c = threadIdx.x * 8; c < a.vocab; c += step) ops_store8(a.logits, bf16, base + c, ops_min(8, a.vocab - c), vec, z);
        }
        return;
    }
    if (threadIdx.x == 0) labelLogit = ops_load(a.logits, bf16, base + label);

    const float negInf = ops_neg_inf();
    float m = negInf, sum = 0.0f;
    for (int c = threadIdx.x * 8; c < a.vocab; c += step) {
        const int n = ops_min(8, a.vocab - c);
        float x[8];
        ops_load8(a.logits, bf16, base + c, n, vec, x);
        float chunkMax = x[0];
#pragma unroll
        for (int j = 1; j < 8; ++j)
            if (j < n) chunkMax = fmaxf(chunkMax, x[j]);
        if (chunkMax > m) {
            sum *= expf(m - chunkMax);
            m = chunkMax;
        }
#pragma unroll
        for (int j = 0; j < 8; ++j)   // −inf adds nothing (and −inf − −inf would be NaN); a NaN propagates
            if (j < n && !(x[j] == negInf)) sum += expf(x[j] - m);
    }
    const float rowMax = ops_block_max(m);
    const float total = ops_block_sum(sum > 0.0f ? sum * expf(m - rowMax) : 0.0f);
    if (threadIdx.x == 0) a.losses[row] = logf(total) + rowMax - labelLogit;
    if (!a.writeGradient) return;

    const float inv = 1.0f / total;
    for (int c = threadIdx.x * 8; c < a.vocab; c += step) {
        const int n = ops_min(8, a.vocab - c);
        float x[8];
        ops_load8(a.logits, bf16, base + c, n, vec, x);
#pragma unroll
        for (int j = 0; j < 8; ++j) x[j] = (expf(x[j] - rowMax) * inv - (c + j == label ? 1.0f : 0.0f)) * a.gradientScale;
        ops_store8(a.logits, bf16, base + c, n, vec, x);
    }
}

// true when (v, i) beats (best, bestIndex): larger, or equal at a lower index; a NaN v never does (every
// comparison with it is false), and best is never NaN
__device__ __forceinline__ bool ops_argmax_better(float v, int i, float best, int bestIndex)
{
    return v > best || (v == best && i < bestIndex);
}

extern "C" __global__ void __launch_bounds__(1024) argmax_rows(const ArgMaxArgs a)
{
    __shared__ float warpBest[32];
    __shared__ int warpIndex[32];
    const long long base = static_cast<long long>(blockIdx.x) * a.vocab;
    const bool bf16 = ops_bit(a.bf16, 1);
    const bool vec = (a.vocab & 7) == 0 && ops_aligned16(a.logits);
    float best = ops_neg_inf();
    int bestIndex = 0x7fffffff;   // loses every tie, so any real column replaces it
    for (int c = threadIdx.x * 8; c < a.vocab; c += blockDim.x * 8) {
        const int n = ops_min(8, a.vocab - c);
        float x[8];
        ops_load8(a.logits, bf16, base + c, n, vec, x);
#pragma unroll
        for (int j = 0; j < 8; ++j)
            if (j < n && ops_argmax_better(x[j], c + j, best, bestIndex)) {
                best = x[j];
                bestIndex = c + j;
            }
    }
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        const float v = __shfl_xor_sync(0xffffffffu, best, offset);
        const int i = __shfl_xor_sync(0xffffffffu, bestIndex, offset);
        if (ops_argmax_better(v, i, best, bestIndex)) {
            best = v;
            bestIndex = i;
        }
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    if (lane == 0) {
        warpBest[warp] = best;
        warpIndex[warp] = bestIndex;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int w = 1; w < warps; ++w)
            if (ops_argmax_better(warpBest[w], warpIndex[w], best, bestIndex)) {
                best = warpBest[w];
                bestIndex = warpIndex[w];
            }
        const float first = ops_load(a.logits, bf16, base);
        a.indices[blockIdx.x] = first != first || bestIndex == 0x7fffffff ? 0 : bestIndex;
    }
}
