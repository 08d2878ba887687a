/*
Runs the kernel library's device code on the CPU, for machines without a GPU: force-included (-include)
before the library headers (src/DePT.Kernels) when they are compiled as ordinary C++ (g++ -std=c++20). It defines the
CUDA qualifiers away, provides uint4/float4/float2, the bit casts, atomicCAS, float atomicAdd, __syncthreads,
__shfl_xor_sync and __shfl_sync,
and a launcher that executes a grid block by block:
  - kernels without __syncthreads/shuffles run their threads one after another (fast);
  - kernels with them run each block's threads as real threads meeting at a std::barrier, so barriers
    and shuffles (a block-wide exchange between two barriers) behave as on the device, provided every
    thread of the block reaches them, which the device requires too.
__shared__ becomes static storage, correct because one block runs at a time. Defines __CUDACC_RTC__ so
the host-only nvcc launchers are skipped, as under NVRTC, and DEPT_CPU_EMULATION, so that attention.cuh does its
bf16 mma by warp shuffles (the form its fp32 path uses) instead of inline PTX. Build with -fno-strict-aliasing.
*/
#pragma once

#include <atomic>
#include <barrier>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#define __CUDACC_RTC__ 1
#define DEPT_CPU_EMULATION 1
#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __forceinline__ inline
#define __launch_bounds__(...)

struct alignas(16) uint4 { unsigned int x, y, z, w; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) float2 { float x, y; };
struct uint3 { unsigned int x, y, z; };
struct dim3 { unsigned int x = 1, y = 1, z = 1; };

inline dim3 gridDim, blockDim, blockIdx;
inline thread_local uint3 threadIdx;

namespace emu {
inline std::barrier<>* blockBarrier = nullptr;   // set while a block runs with real threads
inline std::vector<float> shuffleSlots;          // one slot per thread of the block
}

inline unsigned int __float_as_uint(float f)
{
    unsigned int u;
    std::memcpy(&u, &f, 4);
    return u;
}

inline float __uint_as_float(unsigned int u)
{
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

inline int atomicCAS(int* p, int compare, int value)
{
    __atomic_compare_exchange_n(p, &compare, value, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return compare;   // the old value, as on the device
}

inline float atomicAdd(float* p, float v)
{
    return std::atomic_ref<float>(*p).fetch_add(v);
}

inline void __syncthreads()
{
    if (emu::blockBarrier == nullptr) {
        std::fprintf(stderr, "emulation: __syncthreads in a kernel launched as barrier-free\n");
        std::abort();
    }
    emu::blockBarrier->arrive_and_wait();
}

inline float __shfl_xor_sync(unsigned int, float v, int laneMask)
{
    if (emu::blockBarrier == nullptr) {
        std::fprintf(stderr, "emulation: __shfl_xor_sync in a kernel launched as barrier-free\n");
        std::abort();
    }
    const unsigned int me = threadIdx.x;
    emu::shuffleSlots[me] = v;
    emu::blockBarrier->arrive_and_wait();
    const float other = emu::shuffleSlots[(me & ~31u) | ((me & 31u) ^ static_cast<unsigned int>(laneMask))];
    emu::blockBarrier->arrive_and_wait();
    return other;
}

inline float __shfl_sync(unsigned int, float v, int srcLane)
{
    if (emu::blockBarrier == nullptr) {
        std::fprintf(stderr, "emulation: __shfl_sync in a kernel launched as barrier-free\n");
        std::abort();
    }
    const unsigned int me = threadIdx.x;
    emu::shuffleSlots[me] = v;
    emu::blockBarrier->arrive_and_wait();
    const float other = emu::shuffleSlots[(me & ~31u) | (static_cast<unsigned int>(srcLane) & 31u)];
    emu::blockBarrier->arrive_and_wait();
    return other;
}

namespace emu {

// run kernel(args) over grid x block (1-D blocks); withBarriers: one OS thread per device thread
template <typename Args>
void launch(void (*kernel)(Args), dim3 grid, unsigned int threads, const Args& args, bool withBarriers)
{
    gridDim = grid;
    blockDim = dim3{threads, 1, 1};
    for (unsigned int z = 0; z < grid.z; ++z)
        for (unsigned int y = 0; y < grid.y; ++y)
            for (unsigned int x = 0; x < grid.x; ++x) {
                blockIdx = dim3{x, y, z};
                if (!withBarriers) {
                    for (unsigned int t = 0; t < threads; ++t) {
                        threadIdx = uint3{t, 0, 0};
                        kernel(args);
                    }
                    continue;
                }
                std::barrier<> bar(static_cast<std::ptrdiff_t>(threads));
                blockBarrier = &bar;
                shuffleSlots.assign(threads, 0.0f);
                std::vector<std::thread> pool;
                pool.reserve(threads);
                for (unsigned int t = 0; t < threads; ++t)
                    pool.emplace_back([&, t] {
                        threadIdx = uint3{t, 0, 0};
                        kernel(args);
                    });
                for (auto& th : pool) th.join();
                blockBarrier = nullptr;
            }
}

}  // namespace emu
