/*
Lab versions v4 and v5 of the fused bf16 attention (dh = 64), forward and backward. Their bodies are the library's
(src/DePT.Kernels/attention_fast.cuh: ldmatrix fragments, cp.async double buffers, swizzled tiles, the T5 bias once per
block; the notes there and in benchmarks/NOTES.md say what changed against v3): v5 is the library's 8-warp kernel
itself (attention_flash5_*_bf16_64), v4 the same bodies instantiated with 4 warps (64 query rows forward, 64 keys
backward), kept here to compare block shapes. The host helpers give each version's dynamic shared memory.
*/
#pragma once

#include "attention_fast.cuh"

// shared memory of the forward: Q tile, 2 K tiles, 2 V tiles (bf16), then the bias window and the key row (fp32)
inline size_t attn4_forward_smem(int warps, int keyLen)
{
    const int rows = 16 * warps, keyPad = (keyLen + 63) / 64 * 64;
    return (static_cast<size_t>(rows) * 64 + 4 * 64 * 64) * 2 + static_cast<size_t>(keyPad + rows + keyPad) * 4;
}

// shared memory of the backward: K, V (keys rows), dSᵀ (keys × 64), 2 Q and 2 dO tiles (bf16), bias window, lse, delta
inline size_t attn4_backward_smem(int warps, int queryLen)
{
    const int keys = 16 * warps;
    const int queryPad = (queryLen + 63) / 64 * 64;
    return (static_cast<size_t>(3 * keys) * 64 + 4 * 64 * 64) * 2 + static_cast<size_t>(queryPad + keys + 4 * 64) * 4;
}

// v4: 4 warps; its forward takes the registers it wants (no cap: 3 blocks = 12 warps per SM on sm_90)
#define ATTN4_DISPATCH(BODY) \
    if (a.causal != 0 || a.bias != nullptr) BODY<4, true>(a); \
    else BODY<4, false>(a);
extern "C" __global__ void __launch_bounds__(128) attn4_forward_w4(const AttentionFlashArgs a) { ATTN4_DISPATCH(attn5_forward_body) }
extern "C" __global__ void __launch_bounds__(128) attn4_backward_w4(const AttentionFlashArgs a) { ATTN4_DISPATCH(attn5_backward_body) }
