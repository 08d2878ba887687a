/*
Elementwise ops over flat tensors of `count` elements (any shapes with that many elements), fp32 or bf16
each (bit i of `bf16` = the i-th pointer), math in fp32:
    ew_add          out = a + b                         (out may be a or b)
    ew_scale        out = inp · factor                  (out may be inp; factor 1 is Copy's dtype conversion)
    ew_fill         out = value
    ew_dropout      out = keep(i) ? inp · keepScale : 0, keep(i) = u(i) ≥ rate with u the counter-based uniform of
                    DePT.Backends.DropoutHash (below); the backward is the same kernel on the gradient, same key
    ew_write_rows   cache (B, Tcap, d)[:, position + t, :] = rows (B, Tn, d)[:, t, :] for t < Tn
    ew_read_rows    rows (B, Tn, d)[:, t, :] = cache (B, Tcap, d)[:, position + t, :] for t < Tn
    ew_gather_rows  out (K, d)[k] = inp (N, d)[indices[k]]                 an index outside [0, N) gives a zero row (code 6)
    ew_scatter_rows out (N, d)[indices[k]] = inp (K, d)[k]   (rows not listed are left as they are; the indices are
                    distinct, so no two threads write one row; an index outside [0, N) is skipped, code 6)
Each element is read and written by the same thread, so an output may alias an input of the same dtype.

Launch geometry: blockDim (256, 1, 1); gridDim.x = min(ceil(count / 8 / 256), 16 · number of SMs); each
thread takes chunks of 8 consecutive elements in a grid-stride loop (ew_write_rows, ew_read_rows: chunks of 8
columns of one row, ceil(d / 8) chunks per row). 16-byte accesses when every base pointer is 16-byte aligned
(ew_write_rows, ew_read_rows: and d % 8 == 0), element by element otherwise.
*/
#pragma once

#include "ops_common.cuh"

struct AddArgs {
    void* out;           // (count)   fp32/bf16
    const void* a;       // (count)
    const void* b;       // (count)
    long long count;
    int bf16;            // bit 0 out, bit 1 a, bit 2 b
};

struct ScaleArgs {
    void* out;           // (count)
    const void* inp;     // (count)
    long long count;
    int bf16;            // bit 0 out, bit 1 inp
    float factor;
};

struct FillArgs {
    void* out;           // (count)
    long long count;
    int bf16;            // bit 0 out
    float value;
};

struct DropoutArgs {
    void* out;                  // (count)
    const void* inp;            // (count)
    long long count;
    unsigned long long key;     // DropoutHash.Key(seed, stream): which mask
    int bf16;                   // bit 0 out, bit 1 inp
    float rate;                 // drop probability in [0, 1)
    float keepScale;            // 1 / (1 − rate), an IEEE fp32 division on the host
};

struct WriteRowsArgs {
    void* cache;         // (B, Tcap, d)
    const void* rows;    // (B, Tn, d)
    int batch, rowCount, capacity, dim, position;   // B, Tn, Tcap, d, first cache row written
    int bf16;            // bit 0 cache, bit 1 rows
};

struct IndexedRowsArgs {
    void* out;           // gather (K, d), scatter (N, d)
    const void* inp;     // gather (N, d), scatter (K, d)
    const int* indices;  // (K)      rows of the (N, d) side
    int* errorWord;      // (4)      {code, value, position, limit}
    long long count;     // K
    int rows, dim;       // N, d
    int bf16;            // bit 0 out, bit 1 inp
};

struct ReadRowsArgs {
    void* rows;          // (B, Tn, d)
    const void* cache;   // (B, Tcap, d)
    int batch, rowCount, capacity, dim, position;   // B, Tn, Tcap, d, first cache row read
    int bf16;            // bit 0 rows, bit 1 cache
};

static_assert(sizeof(AddArgs) == 40, "AddArgs layout changed: update the C# mirror");
static_assert(sizeof(ScaleArgs) == 32, "ScaleArgs layout changed: update the C# mirror");
static_assert(sizeof(FillArgs) == 24, "FillArgs layout changed: update the C# mirror");
static_assert(sizeof(DropoutArgs) == 48, "DropoutArgs layout changed: update the C# mirror");
static_assert(sizeof(WriteRowsArgs) == 40, "WriteRowsArgs layout changed: update the C# mirror");
static_assert(sizeof(ReadRowsArgs) == 40, "ReadRowsArgs layout changed: update the C# mirror");
static_assert(sizeof(IndexedRowsArgs) == 56, "IndexedRowsArgs layout changed: update the C# mirror");

extern "C" __global__ void __launch_bounds__(256) ew_add(const AddArgs a)
{
    const bool vec = ops_aligned16(a.out) && ops_aligned16(a.a) && ops_aligned16(a.b);
    const long long chunks = (a.count + 7) / 8;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long i = c * 8;
        const int n = static_cast<int>(ops_min64(8, a.count - i));
        float x[8], y[8];
        ops_load8(a.a, ops_bit(a.bf16, 1), i, n, vec, x);
        ops_load8(a.b, ops_bit(a.bf16, 2), i, n, vec, y);
#pragma unroll
        for (int j = 0; j < 8; ++j) x[j] += y[j];
        ops_store8(a.out, ops_bit(a.bf16, 0), i, n, vec, x);
    }
}

extern "C" __global__ void __launch_bounds__(256) ew_scale(const ScaleArgs a)
{
    const bool vec = ops_aligned16(a.out) && ops_aligned16(a.inp);
    const long long chunks = (a.count + 7) / 8;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long i = c * 8;
        const int n = static_cast<int>(ops_min64(8, a.count - i));
        float x[8];
        ops_load8(a.inp, ops_bit(a.bf16, 1), i, n, vec, x);
#pragma unroll
        for (int j = 0; j < 8; ++j) x[j] *= a.factor;
        ops_store8(a.out, ops_bit(a.bf16, 0), i, n, vec, x);
    }
}

extern "C" __global__ void __launch_bounds__(256) ew_fill(const FillArgs a)
{
    const bool vec = ops_aligned16(a.out);
    const long long chunks = (a.count + 7) / 8;
    float x[8];
#pragma unroll
    for (int j = 0; j < 8; ++j) x[j] = a.value;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long i = c * 8;
        ops_store8(a.out, ops_bit(a.bf16, 0), i, static_cast<int>(ops_min64(8, a.count - i)), vec, x);
    }
}

// DePT.Backends.DropoutHash, bit for bit (all arithmetic modulo 2^64):
//   mix(z) = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31
//   key = mix(mix(seed) ^ stream)                      (computed once on the host, passed in DropoutArgs)
//   u(i) = (mix(key + 0x9E3779B97F4A7C15 · (i + 1)) >> 40) · 2^-24     (24 bits: exact in float, in [0, 1))
__device__ __forceinline__ unsigned long long ops_mix64(unsigned long long z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

__device__ __forceinline__ float ops_dropout_uniform(unsigned long long key, unsigned long long i)
{
    const unsigned long long bits = ops_mix64(key + 0x9e3779b97f4a7c15ull * (i + 1ull));
    return static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
}

extern "C" __global__ void __launch_bounds__(256) ew_dropout(const DropoutArgs a)
{
    const bool vec = ops_aligned16(a.out) && ops_aligned16(a.inp);
    const long long chunks = (a.count + 7) / 8;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long i = c * 8;
        const int n = static_cast<int>(ops_min64(8, a.count - i));
        float x[8];
        ops_load8(a.inp, ops_bit(a.bf16, 1), i, n, vec, x);
#pragma unroll
        for (int j = 0; j < 8; ++j)
            x[j] = ops_dropout_uniform(a.key, static_cast<unsigned long long>(i + j)) >= a.rate ? x[j] * a.keepScale : 0.0f;
        ops_store8(a.out, ops_bit(a.bf16, 0), i, n, vec, x);
    }
}

extern "C" __global__ void __launch_bounds__(256) ew_write_rows(const WriteRowsArgs a)
{
    const bool vec = (a.dim & 7) == 0 && ops_aligned16(a.cache) && ops_aligned16(a.rows);
    const long long chunksPerRow = (a.dim + 7) / 8;
    const long long chunks = chunksPerRow * a.batch * a.rowCount;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long row = c / chunksPerRow;               // b · Tn + t
        const int col = static_cast<int>(c - row * chunksPerRow) * 8;
        const long long b = row / a.rowCount, t = row - b * a.rowCount;
        const int n = ops_min(8, a.dim - col);
        float x[8];
        ops_load8(a.rows, ops_bit(a.bf16, 1), row * a.dim + col, n, vec, x);
        ops_store8(a.cache, ops_bit(a.bf16, 0), (b * a.capacity + a.position + t) * a.dim + col, n, vec, x);
    }
}

extern "C" __global__ void __launch_bounds__(256) ew_read_rows(const ReadRowsArgs a)
{
    const bool vec = (a.dim & 7) == 0 && ops_aligned16(a.cache) && ops_aligned16(a.rows);
    const long long chunksPerRow = (a.dim + 7) / 8;
    const long long chunks = chunksPerRow * a.batch * a.rowCount;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long row = c / chunksPerRow;               // b · Tn + t
        const int col = static_cast<int>(c - row * chunksPerRow) * 8;
        const long long b = row / a.rowCount, t = row - b * a.rowCount;
        const int n = ops_min(8, a.dim - col);
        float x[8];
        ops_load8(a.cache, ops_bit(a.bf16, 1), (b * a.capacity + a.position + t) * a.dim + col, n, vec, x);
        ops_store8(a.rows, ops_bit(a.bf16, 0), row * a.dim + col, n, vec, x);
    }
}

// chunks of 8 columns of the K listed rows; gather reads row indices[k] and writes row k, scatter the reverse
template <bool GATHER>
__device__ __forceinline__ void indexed_rows(const IndexedRowsArgs& a)
{
    const bool vec = (a.dim & 7) == 0 && ops_aligned16(a.out) && ops_aligned16(a.inp);
    const long long chunksPerRow = (a.dim + 7) / 8;
    const long long chunks = chunksPerRow * a.count;
    for (long long c = ops_grid_start(); c < chunks; c += ops_grid_stride()) {
        const long long k = c / chunksPerRow;
        const int col = static_cast<int>(c - k * chunksPerRow) * 8;
        const int n = ops_min(8, a.dim - col);
        const int row = a.indices[k];
        const bool ok = static_cast<unsigned>(row) < static_cast<unsigned>(a.rows);
        if (!ok && col == 0) ops_report_error(a.errorWord, OPS_ERR_ROW_INDEX, row, static_cast<int>(k), a.rows);
        float x[8];
        if (GATHER) {
            if (ok) {
                ops_load8(a.inp, ops_bit(a.bf16, 1), static_cast<long long>(row) * a.dim + col, n, vec, x);
            } else {
#pragma unroll
                for (int j = 0; j < 8; ++j) x[j] = 0.0f;
            }
            ops_store8(a.out, ops_bit(a.bf16, 0), k * a.dim + col, n, vec, x);
        } else if (ok) {
            ops_load8(a.inp, ops_bit(a.bf16, 1), k * a.dim + col, n, vec, x);
            ops_store8(a.out, ops_bit(a.bf16, 0), static_cast<long long>(row) * a.dim + col, n, vec, x);
        }
    }
}

extern "C" __global__ void __launch_bounds__(256) ew_gather_rows(const IndexedRowsArgs a) { indexed_rows<true>(a); }

extern "C" __global__ void __launch_bounds__(256) ew_scatter_rows(const IndexedRowsArgs a) { indexed_rows<false>(a); }
