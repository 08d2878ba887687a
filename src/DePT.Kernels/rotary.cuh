/*
Rotary position embeddings as Hugging Face applies them to LLaMA-family queries and keys (the rotate_half
convention: a head's first half pairs with its second half). For x (B, T, H·dh), positions (B, T) and the dh/2
inverse frequencies f, with angle θ = float(positions[b, t]) · f[j] (one fp32 product, as transformers does):
    forward    out[.., j]        = x[.., j] · cos θ − x[.., j + dh/2] · sin θ
               out[.., j + dh/2] = x[.., j + dh/2] · cos θ + x[.., j] · sin θ          for j < dh/2, every head
    backward   the transpose of that rotation, i.e. the same map with sin θ negated (sign = −1):
               dinp = R(θ)ᵀ · dout; an activation gradient, assigned.
cos and sin are full-precision (cosf/sinf with full range reduction: angles reach thousands of radians).
Each thread reads both elements of its pair before writing them, so out may alias inp.

Launch geometry: blockDim (256, 1, 1), one thread per pair in a grid-stride loop over B·T·H·dh/2 pairs,
gridDim.x = min(ceil(pairs / 256), 16 · number of SMs).
*/
#pragma once

#include "ops_common.cuh"

struct RotaryArgs {
    void* out;                  // (B, T, H·dh)   fp32/bf16
    const void* inp;            // (B, T, H·dh)
    const int* positions;       // (B, T)         position of each row
    const float* invFreq;       // (dh/2)
    int batch, seqLen, heads, headDim;   // B, T, H, dh
    int bf16;                   // bit 0 out, bit 1 inp
    float sign;                 // +1 forward, −1 backward
};

static_assert(sizeof(RotaryArgs) == 56, "RotaryArgs layout changed: update the C# mirror");

extern "C" __global__ void __launch_bounds__(256) rotary_embedding(const RotaryArgs a)
{
    const int half = a.headDim / 2;
    const long long pairsPerRow = static_cast<long long>(a.heads) * half;
    const long long pairs = static_cast<long long>(a.batch) * a.seqLen * pairsPerRow;
    for (long long p = ops_grid_start(); p < pairs; p += ops_grid_stride()) {
        const long long row = p / pairsPerRow;                       // b · T + t
        const int inRow = static_cast<int>(p - row * pairsPerRow);
        const int h = inRow / half, j = inRow - h * half;
        const float angle = static_cast<float>(a.positions[row]) * a.invFreq[j];
        const float c = cosf(angle), s = a.sign * sinf(angle);
        const long long first = row * a.heads * a.headDim + static_cast<long long>(h) * a.headDim + j;
        const float x1 = ops_load(a.inp, ops_bit(a.bf16, 1), first);
        const float x2 = ops_load(a.inp, ops_bit(a.bf16, 1), first + half);
        ops_store(a.out, ops_bit(a.bf16, 0), first, x1 * c - x2 * s);
        ops_store(a.out, ops_bit(a.bf16, 0), first + half, x2 * c + x1 * s);
    }
}
