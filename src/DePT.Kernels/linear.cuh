/*
The non-GEMM parts of the linear layers; the products are cuBLAS GEMMs issued by the host
(CudaBackend.Linear.cs), accumulating in fp32. Shapes: N rows, `cols` output features; fp32 or bf16 each
(bit i of `bf16` = the i-th pointer).

    linear_epilogue     out (N, cols) = (accumulate ? out : 0) + src (N, cols) + bias (cols)      src, bias optional
        Used before the GEMM to seed out with the bias (the GEMM then adds into it with beta = 1, so the
        sum is rounded once), and after a GEMM that had to write an fp32 scratch (fp32 operands with a bf16
        output, which cuBLAS does not offer) to fold the scratch into out.
    linear_bias_grad    dbias (cols) += Σ_n dout[n, :]        (a parameter gradient of a trainable head: +=)

Launch geometry: linear_epilogue: blockDim (256, 1, 1), grid-stride over chunks of 8 columns of one row
(ceil(cols / 8) per row), gridDim.x = min(ceil(chunks / 256), 16 · number of SMs); 16-byte accesses when
cols % 8 == 0 and the bases are 16-byte aligned. linear_bias_grad: blockDim (256, 1, 1) = 32 columns x
8 row lanes, gridDim (ceil(cols / 32), 1, 1); each thread sums every 8th row of its column, then the 8
partial sums are added in a fixed order (deterministic, no atomics).
*/
#pragma once

#include "ops_common.cuh"

struct LinearEpilogueArgs {
    void* out;             // (N, cols)
    const float* src;      // (N, cols) fp32, or null
    const void* bias;      // (cols), or null
    int rows, cols, accumulate;
    int bf16;              // bit 0 out, bit 2 bias
};

struct LinearBiasGradArgs {
    void* dbias;           // (cols)     +=
    const void* dout;      // (N, cols)
    int rows, cols;
    int bf16;              // bit 0 dbias, bit 1 dout
};

static_assert(sizeof(LinearEpilogueArgs) == 40, "LinearEpilogueArgs layout changed: update the C# mirror");
static_assert(sizeof(LinearBiasGradArgs) == 32, "LinearBiasGradArgs layout changed: update the C# mirror");

extern "C" __global__ void __launch_bounds__(256) linear_epilogue(const LinearEpilogueArgs a)
{
    const bool vec = (a.cols & 7) == 0 && ops_aligned16(a.out) && ops_aligned16(a.src) && ops_aligned16(a.bias);
    const long long chunksPerRow = (a.cols + 7) / 8;
    const long long chunks = chunksPerRow * a.rows;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long row = c / chunksPerRow;
        const int col = static_cast<int>(c - row * chunksPerRow) * 8;
        const int n = ops_min(8, a.cols - col);
        const long long at = row * a.cols + col;
        float y[8], t[8];
        if (a.accumulate) {
            ops_load8(a.out, ops_bit(a.bf16, 0), at, n, vec, y);
        } else {
#pragma unroll
            for (int j = 0; j < 8; ++j) y[j] = 0.0f;
        }
        if (a.src != nullptr) {
            ops_load8(a.src, false, at, n, vec, t);
#pragma unroll
            for (int j = 0; j < 8; ++j) y[j] += t[j];
        }
        if (a.bias != nullptr) {
            ops_load8(a.bias, ops_bit(a.bf16, 2), col, n, vec, t);
#pragma unroll
            for (int j = 0; j < 8; ++j) y[j] += t[j];
        }
        ops_store8(a.out, ops_bit(a.bf16, 0), at, n, vec, y);
    }
}

extern "C" __global__ void __launch_bounds__(256) linear_bias_grad(const LinearBiasGradArgs a)
{
    __shared__ float partial[8][33];
    const int lane = threadIdx.x & 31, rowLane = threadIdx.x >> 5;
    const int col = blockIdx.x * 32 + lane;
    float sum = 0.0f;
    if (col < a.cols)
        for (int r = rowLane; r < a.rows; r += 8) sum += ops_load(a.dout, ops_bit(a.bf16, 1), static_cast<long long>(r) * a.cols + col);
    partial[rowLane][lane] = sum;
    __syncthreads();
    if (rowLane == 0 && col < a.cols) {
        float total = 0.0f;
#pragma unroll
        for (int k = 0; k < 8; ++k) total += partial[k][lane];
        ops_store(a.dbias, ops_bit(a.bf16, 0), col, ops_load(a.dbias, ops_bit(a.bf16, 0), col) + total);
    }
}
