/*
Type-checks a kernel lab with clang where no CUDA toolkit is installed (never for running): the few
runtime API declarations and device built-ins the labs use, so that both halves of a lab compile:
  for side in --cuda-host-only --cuda-device-only; do
    clang++-14 -x cuda --cuda-gpu-arch=sm_80 -nocudainc -nocudalib $side -std=c++17 -Wall -Wextra \
      -Wno-unknown-cuda-version -Xclang -target-feature -Xclang +ptx70 -I benchmarks/kernel-lab/clang-mock \
      -I src/DePT.Kernels -I benchmarks/kernel-lab/prompt_input -fsyntax-only \
      benchmarks/kernel-lab/prompt_input/prompt_input_lab.cu
  done
Signatures follow the CUDA runtime's documented ones for the calls used; anything else is missing on purpose.
*/

#pragma once
#include <__clang_cuda_builtin_vars.h>
#include <cstddef>
#include <cstdlib>
#include <new>
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __host__ __attribute__((host))
#define __shared__ __attribute__((shared))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))
struct __attribute__((aligned(16))) uint4 { unsigned int x, y, z, w; };
struct __attribute__((aligned(16))) float4 { float x, y, z, w; };
struct dim3 { unsigned x, y, z; __host__ __device__ constexpr dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {} };
__device__ inline unsigned int __float_as_uint(float f) { return __builtin_bit_cast(unsigned int, f); }
__device__ inline float __uint_as_float(unsigned int u) { return __builtin_bit_cast(float, u); }
__device__ inline int atomicCAS(int* p, int compare, int value) { return __nvvm_atom_cas_gen_i(p, compare, value); }
__device__ inline float __shfl_xor_sync(unsigned int mask, float v, int laneMask) { return __nvvm_shfl_sync_bfly_f32(mask, v, laneMask, 0x1f); }
enum cudaError_t { cudaSuccess = 0 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3 };
typedef struct CUstream_st* cudaStream_t;
typedef struct CUevent_st* cudaEvent_t;
struct cudaDeviceProp { char name[256]; int multiProcessorCount; int l2CacheSize; };
struct cudaFuncAttributes { int numRegs; size_t localSizeBytes; size_t sharedSizeBytes; };
const char* cudaGetErrorName(cudaError_t);
const char* cudaGetErrorString(cudaError_t);
cudaError_t cudaMalloc(void** p, size_t n);
template <class T> cudaError_t cudaMalloc(T** p, size_t n) { return cudaMalloc((void**)p, n); }
cudaError_t cudaFree(void*);
cudaError_t cudaMemcpy(void*, const void*, size_t, cudaMemcpyKind);
cudaError_t cudaMemcpyAsync(void*, const void*, size_t, cudaMemcpyKind, cudaStream_t s = 0);
cudaError_t cudaMemset(void*, int, size_t);
cudaError_t cudaMemsetAsync(void*, int, size_t, cudaStream_t s = 0);
cudaError_t cudaEventCreate(cudaEvent_t*);
cudaError_t cudaEventDestroy(cudaEvent_t);
cudaError_t cudaEventRecord(cudaEvent_t, cudaStream_t s = 0);
cudaError_t cudaEventSynchronize(cudaEvent_t);
cudaError_t cudaEventElapsedTime(float*, cudaEvent_t, cudaEvent_t);
cudaError_t cudaGetLastError();
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaGetDeviceProperties(cudaDeviceProp*, int);
cudaError_t cudaFuncGetAttributes(cudaFuncAttributes*, const void*);
template <class T> cudaError_t cudaFuncGetAttributes(cudaFuncAttributes* a, T* f) { return cudaFuncGetAttributes(a, (const void*)f); }
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int*, const void*, int, size_t);
template <class T> cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* n, T f, int b, size_t s) { return cudaOccupancyMaxActiveBlocksPerMultiprocessor(n, (const void*)f, b, s); }
extern "C" unsigned __cudaPushCallConfiguration(dim3 gridDim, dim3 blockDim, size_t sharedMem = 0, void* stream = 0);
extern "C" cudaError_t cudaLaunchKernel(const void*, dim3, dim3, void**, size_t, cudaStream_t);
extern "C" cudaError_t cudaConfigureCall(dim3 gridDim, dim3 blockDim, size_t sharedMem = 0, cudaStream_t stream = 0);
cudaError_t cudaSetupArgument(const void*, size_t, size_t);
cudaError_t cudaLaunch(const void*);
