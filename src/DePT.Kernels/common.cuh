/*
Shared device helpers for every DePT kernel family.

This file (and every .cuh here) is compiled twice: by nvcc into dept_kernels.fatbin, and by NVRTC at run
time from the text embedded in DePT.Managed. NVRTC has no system or CUDA headers, so nothing here
includes one; what we need beyond the language is either built into both compilers (threadIdx, uint4,
float4, __float_as_uint, __uint_as_float, atomicCAS, __shfl_xor_sync, __syncthreads) or defined below.

- bf16: our own 2-byte brain-float type (the upper half of an IEEE fp32), so that no cuda_bf16.h is needed.
  float -> bf16 rounds to nearest even and keeps NaN a (quiet) NaN; bf16 -> float is exact.
- Pack8<T> / Row8<T, VEC>: 8 consecutive elements moved by one thread in 16-byte accesses (one uint4 of bf16, or two
  float4 of fp32). The vector path is taken only when the row length is a multiple of 8 and the base
  pointers are 16-byte aligned; every kernel has a scalar path for everything else.
- Error flag: int[4] = {code, value, position, limit}; the first error wins (atomicCAS on [0]); a kernel
  that hits an error writes zeros (or skips) instead of reading out of bounds. The host reads it after
  the stream is synchronised, then clears it.
*/
#pragma once

// ---------------------------------------------------------------------------------------------------
// error codes written to errorFlag[0]

#define DEPT_ERR_NONE 0
#define DEPT_ERR_TOKEN_ID 1          // value = token id, position = b*L + t, limit = V
#define DEPT_ERR_PROMPT_INDEX 2      // value = prompt index, position = b, limit = P
#define DEPT_ERR_SEQ_LONGER_THAN_MAX 3  // value = L, position = a row i >= s with no low-rank row (backward: s), limit = s
#define DEPT_ERR_ROW_OFFSET 5        // value = row offset, position = b, limit = L (offsets lie in [0, L]); 4 is ops_common's

__device__ __forceinline__ void report_error(int* errorFlag, int code, int value, int position, int limit)
{
    if (errorFlag != nullptr && atomicCAS(errorFlag, 0, code) == 0) {
        errorFlag[1] = value;
        errorFlag[2] = position;
        errorFlag[3] = limit;
    }
}

// ---------------------------------------------------------------------------------------------------
// small integer helpers (min/max are not guaranteed to be declared under NVRTC)

__device__ __forceinline__ int imin(int a, int b) { return a < b ? a : b; }
__device__ __forceinline__ int imax(int a, int b) { return a > b ? a : b; }
__device__ __forceinline__ int ceil_div(int a, int b) { return (a + b - 1) / b; }

// true when p is 16-byte aligned (null counts as aligned: it is never dereferenced)
__device__ __forceinline__ bool is_aligned16(const void* p)
{
    return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0ull;
}

// ---------------------------------------------------------------------------------------------------
// bf16

struct bf16 {
    unsigned short bits;
};

__device__ __forceinline__ float bf16_to_float(bf16 h)
{
    return __uint_as_float(static_cast<unsigned int>(h.bits) << 16);
}

// round to nearest even; NaN stays NaN (quiet bit set, sign kept); overflow rounds to +-inf
__device__ __forceinline__ bf16 float_to_bf16(float f)
{
    unsigned int u = __float_as_uint(f);
    bf16 h;
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        h.bits = static_cast<unsigned short>((u >> 16) | 0x0040u);
        return h;
    }
    u += 0x7fffu + ((u >> 16) & 1u);
    h.bits = static_cast<unsigned short>(u >> 16);
    return h;
}

// two bf16 in one 32-bit word: element 0 in the low half (little-endian memory order)
__device__ __forceinline__ void unpack_bf16x2(unsigned int w, float& lo, float& hi)
{
    lo = __uint_as_float(w << 16);
    hi = __uint_as_float(w & 0xffff0000u);
}

__device__ __forceinline__ unsigned int pack_bf16x2(float lo, float hi)
{
    return static_cast<unsigned int>(float_to_bf16(lo).bits) | (static_cast<unsigned int>(float_to_bf16(hi).bits) << 16);
}

// 8 bf16 in a uint4 <-> 8 floats
__device__ __forceinline__ void unpack_bf16x8(const uint4 v, float (&f)[8])
{
    unpack_bf16x2(v.x, f[0], f[1]);
    unpack_bf16x2(v.y, f[2], f[3]);
    unpack_bf16x2(v.z, f[4], f[5]);
    unpack_bf16x2(v.w, f[6], f[7]);
}

__device__ __forceinline__ uint4 pack_bf16x8(const float (&f)[8])
{
    uint4 v;
    v.x = pack_bf16x2(f[0], f[1]);
    v.y = pack_bf16x2(f[2], f[3]);
    v.z = pack_bf16x2(f[4], f[5]);
    v.w = pack_bf16x2(f[6], f[7]);
    return v;
}

// ---------------------------------------------------------------------------------------------------
// scalar element access for float and bf16 storage

__device__ __forceinline__ float load_as_float(const float* p) { return *p; }
__device__ __forceinline__ float load_as_float(const bf16* p) { return bf16_to_float(*p); }
__device__ __forceinline__ void store_from_float(float* p, float v) { *p = v; }
__device__ __forceinline__ void store_from_float(bf16* p, float v) { *p = float_to_bf16(v); }

// ---------------------------------------------------------------------------------------------------
// Pack8<T>: 8 consecutive elements in 16-byte pieces; p must be 16-byte aligned

template <typename T> struct Pack8;

template <> struct Pack8<float> {
    float4 lo, hi;
};

template <> struct Pack8<bf16> {
    uint4 v;
};

__device__ __forceinline__ Pack8<float> load_pack8(const float* p)
{
    Pack8<float> r;
    r.lo = reinterpret_cast<const float4*>(p)[0];
    r.hi = reinterpret_cast<const float4*>(p)[1];
    return r;
}

__device__ __forceinline__ Pack8<bf16> load_pack8(const bf16* p)
{
    Pack8<bf16> r;
    r.v = *reinterpret_cast<const uint4*>(p);
    return r;
}

__device__ __forceinline__ void unpack8(const Pack8<float>& r, float (&f)[8])
{
    f[0] = r.lo.x; f[1] = r.lo.y; f[2] = r.lo.z; f[3] = r.lo.w;
    f[4] = r.hi.x; f[5] = r.hi.y; f[6] = r.hi.z; f[7] = r.hi.w;
}

__device__ __forceinline__ void unpack8(const Pack8<bf16>& r, float (&f)[8]) { unpack_bf16x8(r.v, f); }

__device__ __forceinline__ void load8(const float* p, float (&f)[8]) { unpack8(load_pack8(p), f); }
__device__ __forceinline__ void load8(const bf16* p, float (&f)[8]) { unpack8(load_pack8(p), f); }

__device__ __forceinline__ void store8(float* p, const float (&f)[8])
{
    float4 lo, hi;
    lo.x = f[0]; lo.y = f[1]; lo.z = f[2]; lo.w = f[3];
    hi.x = f[4]; hi.y = f[5]; hi.z = f[6]; hi.w = f[7];
    reinterpret_cast<float4*>(p)[0] = lo;
    reinterpret_cast<float4*>(p)[1] = hi;
}

__device__ __forceinline__ void store8(bf16* p, const float (&f)[8]) { *reinterpret_cast<uint4*>(p) = pack_bf16x8(f); }

// up to 8 elements, element by element, for rows whose length is not a multiple of 8 or that are not
// 16-byte aligned: columns at or past n are left at zero (load) or untouched (store)
template <typename T> __device__ __forceinline__ void load8_scalar(const T* p, int n, float (&f)[8])
{
#pragma unroll
    for (int j = 0; j < 8; ++j) f[j] = j < n ? load_as_float(p + j) : 0.0f;
}

template <typename T> __device__ __forceinline__ void store8_scalar(T* p, int n, const float (&f)[8])
{
#pragma unroll
    for (int j = 0; j < 8; ++j)
        if (j < n) store_from_float(p + j, f[j]);
}

// load 8 columns through the vector path (VEC) or the scalar path (n = columns left in the row)
template <bool VEC, typename T> __device__ __forceinline__ void load8_any(const T* p, int n, float (&f)[8])
{
    if (VEC) load8(p, f);
    else load8_scalar(p, n, f);
}

template <bool VEC, typename T> __device__ __forceinline__ void store8_any(T* p, int n, const float (&f)[8])
{
    if (VEC) store8(p, f);
    else store8_scalar(p, n, f);
}

// Row8<T, VEC>: 8 columns of one row held between their load and their use, so that a thread can issue
// several loads before it waits on the first: the vector form keeps the raw 16-byte pieces and converts
// only in unpack(); the scalar form (VEC false) loads element by element, n columns, the rest zero
template <typename T, bool VEC> struct Row8;

template <typename T> struct Row8<T, true> {
    Pack8<T> raw;
    __device__ __forceinline__ void load(const T* p, int) { raw = load_pack8(p); }
    __device__ __forceinline__ void unpack(float (&f)[8]) const { unpack8(raw, f); }
};

template <typename T> struct Row8<T, false> {
    float v[8];
    __device__ __forceinline__ void load(const T* p, int n) { load8_scalar(p, n, v); }
    __device__ __forceinline__ void unpack(float (&f)[8]) const
    {
#pragma unroll
        for (int j = 0; j < 8; ++j) f[j] = v[j];
    }
};

// ---------------------------------------------------------------------------------------------------
// warp reduction

__device__ __forceinline__ float warp_sum(float v)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}
