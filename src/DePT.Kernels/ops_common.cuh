/*
Device helpers shared by the transformer op families (norm, activation, elementwise, embedding, attention,
linear, loss, pool). Like every header here it is compiled by nvcc and by NVRTC, so it includes nothing
from the system or CUDA; names carry an ops_ prefix so that they never meet those of common.cuh.

- Element types: every float tensor is fp32 or bf16, chosen at run time. A kernel's argument struct has
  an int `bf16` whose bit i is set when the i-th pointer of the struct holds bf16 (the pointers counted
  in their declaration order); the bit goes to the loaders below. The branch is uniform over the whole
  grid, so it costs nothing next to the memory traffic, and one kernel serves every dtype mix.
- bf16 is stored as its 16 raw bits (unsigned short): the upper half of an IEEE single. Widening is
  exact; narrowing rounds to nearest even and keeps a NaN a quiet NaN (as DePT.Numerics.BFloat16 does).
- Chunks of 8: ops_load8/ops_store8 move 8 consecutive elements, in 16-byte accesses when `vec` holds
  (the caller guarantees the element index is a multiple of 8 and the base pointer is 16-byte aligned),
  element by element otherwise; `n` is how many of the 8 exist (past it: loads give 0, stores skip).
- Reductions: warp sums and maxima by shuffles; block sums and maxima through 32 floats of shared
  memory (blockDim.x a multiple of 32, every thread of the block calls).
- Error word: int[4] = {code, value, position, limit}, the first error wins (atomicCAS on [0]); the
  codes are those of common.cuh (1 = token id outside [0, V)), plus OPS_ERR_TOKEN_TYPE below.
*/
#pragma once

#define OPS_ERR_TOKEN_ID 1      // value = id, position = flat row, limit = rows of the table (same code as common.cuh)
#define OPS_ERR_TOKEN_TYPE 4    // value = token type id, position = flat row, limit = rows of the token-type table
#define OPS_ERR_ROW_INDEX 6     // value = row index, position = its place in the index list, limit = rows of the indexed tensor

typedef unsigned short ops_bf16;   // bf16 bits

// ---------------------------------------------------------------------------------------------------
// scalars

__device__ __forceinline__ int ops_min(int a, int b) { return a < b ? a : b; }
__device__ __forceinline__ int ops_max(int a, int b) { return a > b ? a : b; }
__device__ __forceinline__ long long ops_min64(long long a, long long b) { return a < b ? a : b; }

__device__ __forceinline__ float ops_neg_inf() { return __uint_as_float(0xff800000u); }

__device__ __forceinline__ bool ops_bit(int mask, int bit) { return ((mask >> bit) & 1) != 0; }

// a grid-stride loop over work items (chunks, rows, elements): this thread's first item and the stride
__device__ __forceinline__ long long ops_grid_start() { return static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ long long ops_grid_stride() { return static_cast<long long>(gridDim.x) * blockDim.x; }

__device__ __forceinline__ bool ops_aligned16(const void* p)
{
    return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0ull;
}

// ---------------------------------------------------------------------------------------------------
// bf16 bits <-> float

__device__ __forceinline__ float ops_bf16_to_f32(ops_bf16 h)
{
    return __uint_as_float(static_cast<unsigned int>(h) << 16);
}

__device__ __forceinline__ ops_bf16 ops_f32_to_bf16(float f)
{
    unsigned int u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<ops_bf16>((u >> 16) | 0x0040u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<ops_bf16>(u >> 16);
}

// ---------------------------------------------------------------------------------------------------
// one element of a float-or-bf16 array

__device__ __forceinline__ float ops_load(const void* p, bool bf16, long long i)
{
    return bf16 ? ops_bf16_to_f32(static_cast<const ops_bf16*>(p)[i]) : static_cast<const float*>(p)[i];
}

__device__ __forceinline__ void ops_store(void* p, bool bf16, long long i, float v)
{
    if (bf16) static_cast<ops_bf16*>(p)[i] = ops_f32_to_bf16(v);
    else static_cast<float*>(p)[i] = v;
}

// ---------------------------------------------------------------------------------------------------
// 8 consecutive elements [i, i + 8) of a float-or-bf16 array, n of them present

__device__ __forceinline__ void ops_load8(const void* p, bool bf16, long long i, int n, bool vec, float (&f)[8])
{
    if (vec && n >= 8) {
        if (bf16) {
            const uint4 v = *reinterpret_cast<const uint4*>(static_cast<const ops_bf16*>(p) + i);
            const unsigned int w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                f[2 * j] = __uint_as_float(w[j] << 16);
                f[2 * j + 1] = __uint_as_float(w[j] & 0xffff0000u);
            }
        } else {
            const float4* q = reinterpret_cast<const float4*>(static_cast<const float*>(p) + i);
            const float4 lo = q[0], hi = q[1];
            f[0] = lo.x; f[1] = lo.y; f[2] = lo.z; f[3] = lo.w;
            f[4] = hi.x; f[5] = hi.y; f[6] = hi.z; f[7] = hi.w;
        }
        return;
    }
#pragma unroll
    for (int j = 0; j < 8; ++j) f[j] = j < n ? ops_load(p, bf16, i + j) : 0.0f;
}

__device__ __forceinline__ void ops_store8(void* p, bool bf16, long long i, int n, bool vec, const float (&f)[8])
{
    if (vec && n >= 8) {
        if (bf16) {
            unsigned int w[4];
#pragma unroll
            for (int j = 0; j < 4; ++j)
                w[j] = static_cast<unsigned int>(ops_f32_to_bf16(f[2 * j])) | (static_cast<unsigned int>(ops_f32_to_bf16(f[2 * j + 1])) << 16);
            uint4 v;
            v.x = w[0]; v.y = w[1]; v.z = w[2]; v.w = w[3];
            *reinterpret_cast<uint4*>(static_cast<ops_bf16*>(p) + i) = v;
        } else {
            float4 lo, hi;
            lo.x = f[0]; lo.y = f[1]; lo.z = f[2]; lo.w = f[3];
            hi.x = f[4]; hi.y = f[5]; hi.z = f[6]; hi.w = f[7];
            float4* q = reinterpret_cast<float4*>(static_cast<float*>(p) + i);
            q[0] = lo;
            q[1] = hi;
        }
        return;
    }
#pragma unroll
    for (int j = 0; j < 8; ++j)
        if (j < n) ops_store(p, bf16, i + j, f[j]);
}

// ---------------------------------------------------------------------------------------------------
// reductions

__device__ __forceinline__ float ops_warp_sum(float v)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

__device__ __forceinline__ float ops_warp_max(float v)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

// The block's total, returned to every thread. The leading barrier lets a block call these back to back:
// nobody overwrites `partial` before every thread has read the previous result from it.
__device__ __forceinline__ float ops_block_sum(float v)
{
    __shared__ float partial[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = ops_warp_sum(v);
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    return ops_warp_sum(lane < warps ? partial[lane] : 0.0f);
}

__device__ __forceinline__ float ops_block_max(float v)
{
    __shared__ float partial[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = ops_warp_max(v);
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    return ops_warp_max(lane < warps ? partial[lane] : ops_neg_inf());
}

// ---------------------------------------------------------------------------------------------------
// T5's relative position bucket (embedding.cuh's comment gives the rule and why the log is taken in double);
// shared by relative_position_bias and the fused attention kernels, which compute the bias themselves

__device__ __forceinline__ int ops_t5_bucket(int rel, bool bidirectional, int buckets, float logRatio)
{
    int n = buckets, bucket = 0;
    if (bidirectional) {
        n /= 2;
        if (rel > 0) bucket = n;
        rel = rel < 0 ? -rel : rel;
    } else {
        rel = rel < 0 ? -rel : 0;
    }
    const int maxExact = n / 2;
    if (rel < maxExact) return bucket + rel;
    const float quotient = static_cast<float>(rel) / static_cast<float>(maxExact);
    const float lg = static_cast<float>(log(static_cast<double>(quotient)));
    const int large = maxExact + static_cast<int>(lg / logRatio * static_cast<float>(n - maxExact));
    return bucket + ops_min(large, n - 1);
}

// ---------------------------------------------------------------------------------------------------
// error word

__device__ __forceinline__ void ops_report_error(int* errorWord, int code, int value, int position, int limit)
{
    if (errorWord != nullptr && atomicCAS(errorWord, 0, code) == 0) {
        errorWord[1] = value;
        errorWord[2] = position;
        errorWord[3] = limit;
    }
}
