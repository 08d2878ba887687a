/*
Lets clang check the kernel library as NVRTC sees it, without a CUDA installation:
  clang++-14 -x cuda --cuda-gpu-arch=sm_80 -nocudainc -nocudalib --cuda-device-only -O3 \
    -Xclang -target-feature -Xclang +ptx70 -include benchmarks/kernel-lab/clang-shim.h \
    -S -o - src/DePT.Kernels/kernels.cu
It declares what NVRTC provides built in (qualifiers, vector types, bit casts, atomics, shuffles) and
defines __CUDACC_RTC__ so the host-only launchers are skipped, exactly as under NVRTC.
*/
#pragma once

#include <__clang_cuda_builtin_vars.h>

#define __CUDACC_RTC__ 1
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __host__ __attribute__((host))
#define __shared__ __attribute__((shared))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))

struct __attribute__((aligned(16))) uint4 { unsigned int x, y, z, w; };
struct __attribute__((aligned(16))) float4 { float x, y, z, w; };

__device__ inline unsigned int __float_as_uint(float f) { return __builtin_bit_cast(unsigned int, f); }
__device__ inline float __uint_as_float(unsigned int u) { return __builtin_bit_cast(float, u); }
__device__ inline int atomicCAS(int* p, int compare, int value) { return __nvvm_atom_cas_gen_i(p, compare, value); }
__device__ inline float __shfl_xor_sync(unsigned int mask, float v, int laneMask)
{
    return __nvvm_shfl_sync_bfly_f32(mask, v, laneMask, 0x1f);
}
