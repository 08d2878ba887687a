/*
Pooling of encoder states into one vector per example, forward and backward; inp (B, T, d) and out (B, d)
fp32 or bf16 each (bit i of `bf16` = the i-th pointer), mask (B, T) int32, math in fp32.
kind is DePT.Backends.PoolingKind: 0 mean, 1 cls.

    mean:  out[b] = Σ_{t: mask[b, t] != 0} inp[b, t] / count_b,  count_b = #{t: mask[b, t] != 0};  zeros when count_b = 0
           dinp[b, t] = mask[b, t] != 0 ? dout[b] / count_b : 0
    cls:   out[b] = inp[b, 0]                       dinp[b, 0] = dout[b], dinp[b, t > 0] = 0 (mask unused)
dinp is an activation gradient: assigned (every element written).

Launch geometry: pool_forward: blockDim (256, 1, 1), grid-stride over (b, column) pairs, gridDim.x =
min(ceil(B·d / 256), 16 · number of SMs); each thread counts its example's mask and sums its column over
T (consecutive threads read consecutive columns). pool_backward: one block per row (b, t), gridDim
(B·T, 1, 1), blockDim (128, 1, 1); the block counts mask[b, :] together, then writes the row in chunks of
8 columns (16-byte accesses when d % 8 == 0 and the bases are 16-byte aligned).
*/
#pragma once

#include "ops_common.cuh"

#define OPS_POOL_MEAN 0
#define OPS_POOL_CLS 1

struct PoolArgs {
    void* out;             // (B, d)
    const void* inp;       // (B, T, d)
    const int* mask;       // (B, T)
    int batch, seqLen, dim, kind;
    int bf16;              // bit 0 out, bit 1 inp
};

struct PoolBackwardArgs {
    void* dinp;            // (B, T, d)   =
    const void* dout;      // (B, d)
    const int* mask;       // (B, T)
    int batch, seqLen, dim, kind;
    int bf16;              // bit 0 dinp, bit 1 dout
};

static_assert(sizeof(PoolArgs) == 48, "PoolArgs layout changed: update the C# mirror");
static_assert(sizeof(PoolBackwardArgs) == 48, "PoolBackwardArgs layout changed: update the C# mirror");

extern "C" __global__ void __launch_bounds__(256) pool_forward(const PoolArgs a)
{
    const long long pairs = static_cast<long long>(a.batch) * a.dim;
    const bool inBf16 = ops_bit(a.bf16, 1);
    for (long long bc = ops_grid_start(); bc < pairs; bc += ops_grid_stride()) {
        const long long b = bc / a.dim;
        const int col = static_cast<int>(bc - b * a.dim);
        const long long first = b * a.seqLen * a.dim + col;   // inp[b, 0, col]
        float v;
        if (a.kind == OPS_POOL_CLS) {
            v = ops_load(a.inp, inBf16, first);
        } else {
            const int* m = a.mask + b * a.seqLen;
            float sum = 0.0f;
            int count = 0;
            for (int t = 0; t < a.seqLen; ++t) {
                if (m[t] == 0) continue;
                sum += ops_load(a.inp, inBf16, first + static_cast<long long>(t) * a.dim);
                ++count;
            }
            v = count > 0 ? sum / count : 0.0f;
        }
        ops_store(a.out, ops_bit(a.bf16, 0), bc, v);
    }
}

extern "C" __global__ void __launch_bounds__(128) pool_backward(const PoolBackwardArgs a)
{
    const long long row = blockIdx.x;   // b · T + t
    const long long b = row / a.seqLen;
    const int t = static_cast<int>(row - b * a.seqLen);
    const int* m = a.mask + b * a.seqLen;
    float factor;   // dinp[b, t] = dout[b] · factor
    if (a.kind == OPS_POOL_CLS) {
        factor = t == 0 ? 1.0f : 0.0f;
    } else {
        float count = 0.0f;
        for (int k = threadIdx.x; k < a.seqLen; k += blockDim.x) count += m[k] != 0 ? 1.0f : 0.0f;
        count = ops_block_sum(count);
        factor = m[t] != 0 ? 1.0f / count : 0.0f;   // m[t] set implies count ≥ 1
    }
    const bool vec = (a.dim & 7) == 0 && ops_aligned16(a.dinp) && ops_aligned16(a.dout);
    for (int c = threadIdx.x * 8; c < a.dim; c += blockDim.x * 8) {
        const int n = ops_min(8, a.dim - c);
        float g[8];
        if (factor != 0.0f) {
            ops_load8(a.dout, ops_bit(a.bf16, 1), b * a.dim + c, n, vec, g);
#pragma unroll
            for (int j = 0; j < 8; ++j) g[j] *= factor;
        } else {
#pragma unroll
            for (int j = 0; j < 8; ++j) g[j] = 0.0f;
        }
        ops_store8(a.dinp, ops_bit(a.bf16, 0), row * a.dim + c, n, vec, g);
    }
}
