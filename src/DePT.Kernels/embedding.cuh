/*
Embedding gathers and position terms; float tensors fp32 or bf16 each (bit i of `bf16` = the i-th
pointer), index tensors int32, math in fp32.

    embedding_lookup          out (N, d) = table[ids[n]] · scale          table (V, d), ids (N), N = B·T
    embedding_add_positions   x (B, T, d) += positions[t] + tokenTypes[typeIds[b, t]]   (type 0 when typeIds is null)
                              positions (≥ T, d), tokenTypes (types, d); BERT's additive embeddings.
                              Its backward is the identity, so there is no backward kernel.
    relative_position_bias    bias (H, Tq, Tk) fp32, bias[h, i, j] = table[bucket(j − (i + queryOffset)), h],
                              table (buckets, H): T5's relative attention bias, once per stack.

T5's bucket of a relative position rel (Hugging Face's _relative_position_bucket), n = buckets:
    bidirectional: n = n / 2; bucket = (rel > 0 ? n : 0); rel = |rel|      causal: bucket = 0; rel = −min(rel, 0)
    maxExact = n / 2
    rel < maxExact: bucket += rel
    otherwise:      bucket += min(n − 1, maxExact + (int)(log(rel / maxExact) / log(maxDistance / maxExact) · (n − maxExact)))
in fp32 as torch computes it: rel / maxExact and the log in fp32, log(maxDistance / maxExact) a double
rounded to fp32 (a Python float scalar; the host passes it as logRatio), truncation toward zero. The fp32
log is taken as log() in double rounded to fp32, which is the correctly rounded fp32 logarithm; logf may
be one ulp off, and at the positions where the quotient is a whole number mathematically (rel = 16, 32,
64 for 32 bidirectional buckets and maxDistance 128) one ulp below would truncate to the bucket below.

Errors (the device error word, first wins): an id outside [0, V) -> code 1 {1, id, n, V}, that output row
is zeros; a token type outside [0, types) -> code 4 {4, type, b·T + t, types}, that row gets the position
term only. Nothing is read out of bounds.

Launch geometry: blockDim (256, 1, 1), grid-stride loops, gridDim.x = min(ceil(work / 256), 16 · number
of SMs); work = chunks of 8 columns of one row (ceil(d / 8) per row) for the two gathers, (i, j) pairs
(Tq·Tk) for the bias, each thread writing its pair for every head. 16-byte accesses when d % 8 == 0 and
the float bases are 16-byte aligned.
*/
#pragma once

#include "ops_common.cuh"

struct EmbeddingLookupArgs {
    void* out;             // (N, d)
    const int* ids;        // (N)
    const void* table;     // (V, d)
    int* errorWord;        // (4)
    int rows, dim, vocab;  // N, d, V
    int bf16;              // bit 0 out, bit 2 table
    float scale;
};

struct AddPositionsArgs {
    void* x;                   // (B, T, d)   +=
    const void* positions;     // (≥ T, d)
    const void* tokenTypes;    // (types, d)
    const int* typeIds;        // (B, T) or null: type 0 everywhere
    int* errorWord;            // (4)
    int batch, seqLen, dim, numTypes;
    int bf16;                  // bit 0 x, bit 1 positions, bit 2 tokenTypes
};

struct RelativeBiasArgs {
    float* bias;           // (H, Tq, Tk)
    const void* table;     // (buckets, H)
    int heads, queryLen, keyLen, buckets, queryOffset, bidirectional;   // H, Tq, Tk, buckets, query offset, 1 for the encoder
    int bf16;              // bit 1 table
    float logRatio;        // (float) log((double) maxDistance / maxExact), carrying maxDistance
};

static_assert(sizeof(EmbeddingLookupArgs) == 56, "EmbeddingLookupArgs layout changed: update the C# mirror");
static_assert(sizeof(AddPositionsArgs) == 64, "AddPositionsArgs layout changed: update the C# mirror");
static_assert(sizeof(RelativeBiasArgs) == 48, "RelativeBiasArgs layout changed: update the C# mirror");

extern "C" __global__ void __launch_bounds__(256) embedding_lookup(const EmbeddingLookupArgs a)
{
    const bool vec = (a.dim & 7) == 0 && ops_aligned16(a.out) && ops_aligned16(a.table);
    const long long chunksPerRow = (a.dim + 7) / 8;
    const long long chunks = chunksPerRow * a.rows;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long row = c / chunksPerRow;
        const int col = static_cast<int>(c - row * chunksPerRow) * 8;
        const int n = ops_min(8, a.dim - col);
        const int id = a.ids[row];
        float x[8];
        if (id >= 0 && id < a.vocab) {
            ops_load8(a.table, ops_bit(a.bf16, 2), static_cast<long long>(id) * a.dim + col, n, vec, x);
#pragma unroll
            for (int j = 0; j < 8; ++j) x[j] *= a.scale;
        } else {
            if (col == 0) ops_report_error(a.errorWord, OPS_ERR_TOKEN_ID, id, static_cast<int>(row), a.vocab);
#pragma unroll
            for (int j = 0; j < 8; ++j) x[j] = 0.0f;
        }
        ops_store8(a.out, ops_bit(a.bf16, 0), row * a.dim + col, n, vec, x);
    }
}

extern "C" __global__ void __launch_bounds__(256) embedding_add_positions(const AddPositionsArgs a)
{
    const bool vec = (a.dim & 7) == 0 && ops_aligned16(a.x) && ops_aligned16(a.positions) && ops_aligned16(a.tokenTypes);
    const long long chunksPerRow = (a.dim + 7) / 8;
    const long long chunks = chunksPerRow * a.batch * a.seqLen;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long row = c / chunksPerRow;                 // b · T + t
        const int col = static_cast<int>(c - row * chunksPerRow) * 8;
        const int n = ops_min(8, a.dim - col);
        const int t = static_cast<int>(row % a.seqLen);
        const int type = a.typeIds != nullptr ? a.typeIds[row] : 0;
        float x[8], p[8], y[8];
        ops_load8(a.x, ops_bit(a.bf16, 0), row * a.dim + col, n, vec, x);
        ops_load8(a.positions, ops_bit(a.bf16, 1), static_cast<long long>(t) * a.dim + col, n, vec, p);
        if (type >= 0 && type < a.numTypes) {
            ops_load8(a.tokenTypes, ops_bit(a.bf16, 2), static_cast<long long>(type) * a.dim + col, n, vec, y);
        } else {
            if (col == 0) ops_report_error(a.errorWord, OPS_ERR_TOKEN_TYPE, type, static_cast<int>(row), a.numTypes);
#pragma unroll
            for (int j = 0; j < 8; ++j) y[j] = 0.0f;
        }
#pragma unroll
        for (int j = 0; j < 8; ++j) x[j] = (x[j] + p[j]) + y[j];   // the CPU reference's order: the same fp32 sums
        ops_store8(a.x, ops_bit(a.bf16, 0), row * a.dim + col, n, vec, x);
    }
}

extern "C" __global__ void __launch_bounds__(256) relative_position_bias(const RelativeBiasArgs a)
{
    const long long pairs = static_cast<long long>(a.queryLen) * a.keyLen;
    const long long plane = pairs;   // elements of one head
    for (long long ij = ops_grid_start(); ij < pairs; ij += ops_grid_stride()) {
        const int i = static_cast<int>(ij / a.keyLen), j = static_cast<int>(ij - static_cast<long long>(i) * a.keyLen);
        const int bucket = ops_t5_bucket(j - (i + a.queryOffset), a.bidirectional != 0, a.buckets, a.logRatio);
        for (int h = 0; h < a.heads; ++h)
            a.bias[h * plane + ij] = ops_load(a.table, ops_bit(a.bf16, 1), static_cast<long long>(bucket) * a.heads + h);
    }
}
