/*
The fast fused attention for the common case: bf16, head dim 64, multi-head (kvHeads 0 or H). Same arguments
(AttentionFlashArgs), layouts and semantics as attention_flash_*_bf16_64 in attention.cuh (included first), which still
serve every other call (grouped-query attention, dh 32 / 128, fp32) and calls whose bias window exceeds the per-block
shared memory limit:

    out = softmax(scale·Q·Kᵀ + bias + mask)·V, lse saved (+∞ and out = 0 for a row with no visible key);
    backward (after attention_flash_delta): dQ summed into dqAccum (fp32 atomics, zeroed by the host), dK, dV assigned,
    dK, dV rows Tk..Tcap−1 zero. Bias: the T5 table (computed here), a dense (H, Tq, biasStride) bias, or none.

From the kernel lab (benchmarks/kernel-lab/attention/attention_v4.cuh, v5: 8 warps), against the library's v3 design:
  - fragments from shared memory by ldmatrix (.trans where the operand is stored transposed);
  - tiles copied by cp.async (16 bytes, zero-fill past the valid rows), forward K/V and backward Q/dO double-buffered;
  - shared tiles of 64 bf16 per row with the 16-byte chunks XOR-swizzled by (row mod 8), no padding;
  - the T5 bias once per block: every relative position the block can meet (keyPad + 128 − 1 forward,
    queryPad + 128 − 1 backward) bucketed once into shared memory in the log2 domain, so the window grows with T;
  - forward: 128 query rows per block (8 warps of 16), 64-key tiles; backward: 128 keys per block, 64-query tiles,
    dK and dV in registers, scale·dSᵀ through shared memory for dQ (fp32 atomics).
H200, B = 32, H = 12, T5 bias + padding, fwd+bwd: T = 2048 8.48 ms (v3 20.75 ms), T = 316 0.345 ms (v3 0.652 ms).

Launch geometry: forward grid (ceil(Tq / 128), H, B), block 256; backward grid (ceil(Tcap / 128), H, B), block 256.
Dynamic shared memory (the host mirrors these in CudaBackend.Attention.cs and raises
CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES once per kernel; too large a window falls back to attention.cuh):
    forward  (128·64 + 4·64·64)·2 + (2·keyPad + 128)·4 bytes,     keyPad = ceil(Tk / 64)·64
    backward (3·128·64 + 4·64·64)·2 + (queryPad + 128 + 256)·4,   queryPad = ceil(Tq / 64)·64
*/
#pragma once

#ifdef DEPT_CPU_EMULATION
alignas(16) static unsigned char attn5_emu_smem[256 * 1024];
#define ATTN5_SMEM attn5_emu_smem
#endif

namespace attn5 {

constexpr int kD = 64;           // head dim
constexpr int kTile = 64;        // forward keys per tile, backward queries per tile

// element offset of (row, col) in a swizzled tile of 64-element rows: 16-byte chunk c of row r stored at chunk c ^ (r & 7)
__device__ __forceinline__ int swz(int row, int col)
{
    return row * kD + ((((col >> 3) ^ row) & 7) << 3) + (col & 7);
}

__device__ __forceinline__ unsigned int smem_u32(const void* p)
{
#ifdef DEPT_CPU_EMULATION
    return 0u;
#else
    return static_cast<unsigned int>(__cvta_generic_to_shared(p));
#endif
}

// 16 bytes global → shared, zero-filled when !valid (src must still be a mapped address)
__device__ __forceinline__ void cp_async16(ops_bf16* dst, const ops_bf16* src, bool valid)
{
#ifdef DEPT_CPU_EMULATION
    if (valid) std::memcpy(dst, src, 16);
    else std::memset(dst, 0, 16);
#else
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_u32(dst)), "l"(src), "r"(valid ? 16 : 0));
#endif
}

__device__ __forceinline__ void cp_async_commit()
{
#ifndef DEPT_CPU_EMULATION
    asm volatile("cp.async.commit_group;\n" ::);
#endif
}

template <int N> __device__ __forceinline__ void cp_async_wait()
{
#ifndef DEPT_CPU_EMULATION
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
#endif
}

// ldmatrix.x4: lane l gives the address of row (l & 7) of matrix l >> 3 (8 bf16 = 16 bytes); register i receives matrix
// i in the mma fragment layout: lane 4g + t holds row g, columns 2t, 2t+1 (.trans: column g, rows 2t, 2t+1)
template <bool TRANS>
__device__ __forceinline__ void ldsm_x4(unsigned int (&r)[4], const ops_bf16* base, int offset)
{
#ifdef DEPT_CPU_EMULATION
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const float mine = __uint_as_float(static_cast<unsigned int>(offset));
    for (int i = 0; i < 4; ++i) {
        if (!TRANS) {
            const int src = static_cast<int>(__float_as_uint(__shfl_sync(0xffffffffu, mine, 8 * i + g)));
            r[i] = static_cast<unsigned int>(base[src + 2 * t]) | (static_cast<unsigned int>(base[src + 2 * t + 1]) << 16);
        } else {
            const int s0 = static_cast<int>(__float_as_uint(__shfl_sync(0xffffffffu, mine, 8 * i + 2 * t)));
            const int s1 = static_cast<int>(__float_as_uint(__shfl_sync(0xffffffffu, mine, 8 * i + 2 * t + 1)));
            r[i] = static_cast<unsigned int>(base[s0 + g]) | (static_cast<unsigned int>(base[s1 + g]) << 16);
        }
    }
#else
    const unsigned int addr = smem_u32(base + offset);
    if (TRANS)
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(addr));
    else
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(addr));
#endif
}

// A (16×16) at (m0, k0) of a row-major swizzled tile: {A[g][2t], A[g+8][2t], A[g][2t+8], A[g+8][2t+8]}
__device__ __forceinline__ void frag_a(unsigned int (&a)[4], const ops_bf16* s, int m0, int k0)
{
    const int lane = threadIdx.x & 31;
    ldsm_x4<false>(a, s, swz(m0 + (lane & 15), k0 + (lane >> 4) * 8));
}

// A (16×16) at (m0, k0) where the tile holds Aᵀ (A[m][k] = s[k][m])
__device__ __forceinline__ void frag_a_t(unsigned int (&a)[4], const ops_bf16* s, int m0, int k0)
{
    const int lane = threadIdx.x & 31, mi = lane >> 3;
    ldsm_x4<true>(a, s, swz(k0 + (mi >> 1) * 8 + (lane & 7), m0 + (mi & 1) * 8));
}

// two B (16×8) fragments, columns n0..n0+7 → b[0..1], n0+8..n0+15 → b[2..3], at k0, of a tile holding Bᵀ row-major
// (B[k][n] = s[n][k]: K for Q·Kᵀ, Q for K·Qᵀ)
__device__ __forceinline__ void frag_b2(unsigned int (&b)[4], const ops_bf16* s, int k0, int n0)
{
    const int lane = threadIdx.x & 31, mi = lane >> 3;
    ldsm_x4<false>(b, s, swz(n0 + (mi >> 1) * 8 + (lane & 7), k0 + (mi & 1) * 8));
}

// the same from a tile holding B row-major (B[k][n] = s[k][n]: V for P·V, dO, Q, K)
__device__ __forceinline__ void frag_b2_rows(unsigned int (&b)[4], const ops_bf16* s, int k0, int n0)
{
    const int lane = threadIdx.x & 31, mi = lane >> 3;
    ldsm_x4<true>(b, s, swz(k0 + (mi & 1) * 8 + (lane & 7), n0 + (mi >> 1) * 8));
}

__device__ __forceinline__ void mma(float (&c)[4], const unsigned int (&a)[4], unsigned int b0, unsigned int b1)
{
    const unsigned int b[2] = {b0, b1};
    attn_mma<ops_bf16>(c, a, b);
}

// bf16x2 of (lo, hi), round to nearest even: one cvt.rn.bf16x2.f32 (sm_80) instead of ops_f32_to_bf16's integer rounding twice
__device__ __forceinline__ unsigned int pack(float lo, float hi)
{
#ifdef DEPT_CPU_EMULATION
    return static_cast<unsigned int>(ops_f32_to_bf16(lo)) | (static_cast<unsigned int>(ops_f32_to_bf16(hi)) << 16);
#else
    unsigned int r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
#endif
}

// 2^x by the special-function unit (ex2.approx.ftz: 2^−∞ = 0); exp2f adds a denormal-range fix-up around it
__device__ __forceinline__ float fast_exp2(float x)
{
#ifdef DEPT_CPU_EMULATION
    return exp2f(x);
#else
    float r;
    asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(r) : "f"(x));
    return r;
#endif
}

// rows [row0, row0 + rows) of a (·, ld) bf16 tensor (64 columns) into a swizzled tile by cp.async, zeros past `valid`
template <int ROWS, int THREADS>
__device__ __forceinline__ void load_tile_async(ops_bf16* s, const ops_bf16* g, long long ld, int row0, int valid)
{
    static_assert(ROWS * 8 % THREADS == 0, "whole 16-byte chunks per thread");
#pragma unroll
    for (int it = 0; it < ROWS * 8 / THREADS; ++it) {
        const int c = threadIdx.x + it * THREADS, r = c >> 3, col = (c & 7) * 8;
        const bool ok = row0 + r < valid;
        cp_async16(s + swz(r, col), ok ? g + (row0 + r) * ld + col : g, ok);
    }
}

// T5 bias (table, log2 domain) of relative position rel = j − i − queryOffset; 0 without a table
__device__ __forceinline__ float table_bias2(const AttentionFlashArgs& a, int h, int rel)
{
    if (a.biasTable == nullptr) return 0.0f;
    const int bucket = ops_t5_bucket(rel, a.bidirectional != 0, a.buckets, a.logRatio);
    return ops_load(a.biasTable, (a.tableBf16 & 1) != 0, static_cast<long long>(bucket) * a.heads + h) * ATTN_LOG2E;
}

__device__ __forceinline__ float key_add2(const AttentionFlashArgs& a, int b, int j)
{
    const bool visible = j < a.keyLen && (a.keyMask == nullptr || a.keyMask[static_cast<long long>(b) * a.maskStride + j] != 0);
    return visible ? 0.0f : ops_neg_inf();
}

}  // namespace attn5

// GENERAL: causal or a dense bias (per-element tests); otherwise the scores need only the bias window and the key row
template <int WARPS, bool GENERAL>
__device__ __forceinline__ void attn5_forward_body(const AttentionFlashArgs& a)
{
    using namespace attn5;
    constexpr int ROWS = 16 * WARPS, THREADS = 32 * WARPS, KEYS = kTile;
#ifndef DEPT_CPU_EMULATION
    extern __shared__ __align__(16) unsigned char ATTN5_SMEM_FWD[];
    unsigned char* smem = ATTN5_SMEM_FWD;
#else
    unsigned char* smem = ATTN5_SMEM;
#endif
    const int b = blockIdx.z, h = blockIdx.y, i0 = blockIdx.x * ROWS;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int keyEnd = a.causal ? ops_min(a.keyLen, i0 + ROWS + a.queryOffset) : a.keyLen;   // keys past it hidden from every row
    const int tiles = (keyEnd + KEYS - 1) / KEYS;
    const int keyPad = (a.keyLen + KEYS - 1) / KEYS * KEYS;

    ops_bf16* sQ = reinterpret_cast<ops_bf16*>(smem);
    ops_bf16* sK = sQ + ROWS * kD;            // 2 tiles
    ops_bf16* sV = sK + 2 * KEYS * kD;        // 2 tiles
    float* sBias = reinterpret_cast<float*>(sV + 2 * KEYS * kD);   // [keyPad + ROWS − 1]: bias₂ at j − (i − i0) + ROWS − 1
    float* sKey = sBias + keyPad + ROWS;      // [keyPad]: 0 / −∞ per key

    const long long width = static_cast<long long>(a.heads) * kD;
    const ops_bf16* q = static_cast<const ops_bf16*>(a.q) + static_cast<long long>(b) * a.queryLen * width + h * kD;
    const ops_bf16* k = static_cast<const ops_bf16*>(a.k) + static_cast<long long>(b) * a.capacity * width + h * kD;
    const ops_bf16* v = static_cast<const ops_bf16*>(a.v) + static_cast<long long>(b) * a.capacity * width + h * kD;

    load_tile_async<ROWS, THREADS>(sQ, q, width, i0, a.queryLen);
    if (tiles > 0) {
        load_tile_async<KEYS, THREADS>(sK, k, width, 0, a.keyLen);
        load_tile_async<KEYS, THREADS>(sV, v, width, 0, a.keyLen);
    }
    cp_async_commit();
    // sBias[w] = bias₂(rel) for w = j − (i − i0) + ROWS − 1, rel = j − i − queryOffset; j < keyPad, i − i0 < ROWS
    for (int w = threadIdx.x; w < keyPad + ROWS - 1; w += THREADS) sBias[w] = table_bias2(a, h, w - (ROWS - 1) - i0 - a.queryOffset);
    for (int j = threadIdx.x; j < keyPad; j += THREADS) sKey[j] = key_add2(a, b, j);
    cp_async_wait<0>();
    __syncthreads();

    unsigned int qf[kD / 16][4];
#pragma unroll
    for (int kk = 0; kk < kD / 16; ++kk) frag_a(qf[kk], sQ, 16 * warp, 16 * kk);

    const int il0 = 16 * warp + g;          // this lane's rows (tile-local): il0, il0 + 8
    const int row0 = i0 + il0;
    const float scale2 = a.scale * ATTN_LOG2E;
    float m[2] = {ops_neg_inf(), ops_neg_inf()}, l[2] = {0.0f, 0.0f};
    float o[kD / 8][4];
#pragma unroll
    for (int n = 0; n < kD / 8; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;

    for (int tile = 0; tile < tiles; ++tile) {
        const int j0 = tile * KEYS;
        const ops_bf16* cK = sK + (tile & 1) * KEYS * kD;
        const ops_bf16* cV = sV + (tile & 1) * KEYS * kD;
        if (tile + 1 < tiles) {   // the other buffers were last read before the barrier that ended the previous tile
            load_tile_async<KEYS, THREADS>(sK + ((tile + 1) & 1) * KEYS * kD, k, width, j0 + KEYS, a.keyLen);
            load_tile_async<KEYS, THREADS>(sV + ((tile + 1) & 1) * KEYS * kD, v, width, j0 + KEYS, a.keyLen);
        }
        cp_async_commit();

        float s[KEYS / 8][4];
#pragma unroll
        for (int n = 0; n < KEYS / 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
#pragma unroll
        for (int kk = 0; kk < kD / 16; ++kk)
#pragma unroll
            for (int n = 0; n < KEYS / 8; n += 2) {
                unsigned int kf[4];
                frag_b2(kf, cK, 16 * kk, 8 * n);
                mma(s[n], qf[kk], kf[0], kf[1]);
                mma(s[n + 1], qf[kk], kf[2], kf[3]);
            }

        // scores, log2 domain: s·scale·log2e + bias₂ + mask₂; hidden → −∞
        float mt[2] = {ops_neg_inf(), ops_neg_inf()};
#pragma unroll
        for (int n = 0; n < KEYS / 8; ++n) {
            const int jl = j0 + 8 * n + 2 * t;
            const float2 key = *reinterpret_cast<const float2*>(sKey + jl);
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int r = e >> 1, j = jl + (e & 1), il = il0 + 8 * r;
                float x = fmaf(s[n][e], scale2, sBias[j - il + ROWS - 1]) + ((e & 1) ? key.y : key.x);
                if (GENERAL) {
                    if (a.bias != nullptr && i0 + il < a.queryLen && j < a.keyLen)
                        x += a.bias[(static_cast<long long>(h) * a.queryLen + i0 + il) * a.biasStride + j] * ATTN_LOG2E;
                    if (a.causal && j > i0 + il + a.queryOffset) x = ops_neg_inf();
                }
                s[n][e] = x;
                mt[r] = fmaxf(mt[r], x);
            }
        }
        float base[2];
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            mt[r] = fmaxf(mt[r], __shfl_xor_sync(0xffffffffu, mt[r], 1));
            mt[r] = fmaxf(mt[r], __shfl_xor_sync(0xffffffffu, mt[r], 2));
            const float mNew = fmaxf(m[r], mt[r]);
            base[r] = mNew == ops_neg_inf() ? 0.0f : mNew;   // nothing visible yet: exp2(−∞ − 0) = 0, never NaN
            const float alpha = fast_exp2(m[r] - base[r]);
            m[r] = mNew;
            l[r] *= alpha;
#pragma unroll
            for (int n = 0; n < kD / 8; ++n) {
                o[n][2 * r] *= alpha;
                o[n][2 * r + 1] *= alpha;
            }
        }
#pragma unroll
        for (int n = 0; n < KEYS / 8; ++n)
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                s[n][e] = fast_exp2(s[n][e] - base[e >> 1]);
                l[e >> 1] += s[n][e];
            }

        // O += P · V
#pragma unroll
        for (int kk = 0; kk < KEYS / 16; ++kk) {
            unsigned int pf[4];
            pf[0] = pack(s[2 * kk][0], s[2 * kk][1]);
            pf[1] = pack(s[2 * kk][2], s[2 * kk][3]);
            pf[2] = pack(s[2 * kk + 1][0], s[2 * kk + 1][1]);
            pf[3] = pack(s[2 * kk + 1][2], s[2 * kk + 1][3]);
#pragma unroll
            for (int n = 0; n < kD / 8; n += 2) {
                unsigned int vf[4];
                frag_b2_rows(vf, cV, 16 * kk, 8 * n);
                mma(o[n], pf, vf[0], vf[1]);
                mma(o[n + 1], pf, vf[2], vf[3]);
            }
        }
        cp_async_wait<0>();
        __syncthreads();   // tile + 1 landed for everyone; this tile's buffers free for tile + 2
    }

    ops_bf16* out = static_cast<ops_bf16*>(a.out) + static_cast<long long>(b) * a.queryLen * width + h * kD;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
        const int i = row0 + 8 * r;
        if (i >= a.queryLen) continue;
        const float inv = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;
#pragma unroll
        for (int n = 0; n < kD / 8; ++n)
            *reinterpret_cast<unsigned int*>(out + i * width + 8 * n + 2 * t) = pack(o[n][2 * r] * inv, o[n][2 * r + 1] * inv);
        if (t == 0)
            a.lse[(static_cast<long long>(b) * a.heads + h) * a.queryLen + i] =
                l[r] > 0.0f ? (m[r] + log2f(l[r])) * ATTN_LN2 : __uint_as_float(0x7f800000u);
    }
}

template <int WARPS, bool GENERAL>
__device__ __forceinline__ void attn5_backward_body(const AttentionFlashArgs& a)
{
    using namespace attn5;
    constexpr int KEYS = 16 * WARPS, THREADS = 32 * WARPS, ROWS = kTile;
#ifndef DEPT_CPU_EMULATION
    extern __shared__ __align__(16) unsigned char ATTN5_SMEM_BWD[];
    unsigned char* smem = ATTN5_SMEM_BWD;
#else
    unsigned char* smem = ATTN5_SMEM;
#endif
    const int b = blockIdx.z, h = blockIdx.y, j0 = blockIdx.x * KEYS;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;

    ops_bf16* sK = reinterpret_cast<ops_bf16*>(smem);
    ops_bf16* sV = sK + KEYS * kD;
    ops_bf16* sDS = sV + KEYS * kD;           // scale·dSᵀ: KEYS × ROWS (ROWS = 64 = kD: the same swizzle)
    ops_bf16* sQ = sDS + KEYS * kD;           // 2 tiles
    ops_bf16* sDO = sQ + 2 * ROWS * kD;       // 2 tiles
    const int queryPad = (a.queryLen + ROWS - 1) / ROWS * ROWS;   // rows of the last tile past Tq index the window too
    float* sBias = reinterpret_cast<float*>(sDO + 2 * ROWS * kD);   // [queryPad + KEYS − 1]: bias₂ at (j − j0) − i + queryPad − 1
    float* sLse = sBias + queryPad + KEYS;    // 2 × ROWS, log2 domain
    float* sDelta = sLse + 2 * ROWS;          // 2 × ROWS

    const long long width = static_cast<long long>(a.heads) * kD;
    const long long qBase = static_cast<long long>(b) * a.queryLen * width + h * kD;
    const long long kBase = static_cast<long long>(b) * a.capacity * width + h * kD;
    const long long rowBase = (static_cast<long long>(b) * a.heads + h) * a.queryLen;
    const ops_bf16* q = static_cast<const ops_bf16*>(a.q) + qBase;
    const ops_bf16* dout = static_cast<const ops_bf16*>(a.dout) + qBase;

    const int firstRow = a.causal ? ops_max(0, j0 - a.queryOffset) / ROWS * ROWS : 0;
    const int rowEnd = j0 < a.keyLen ? a.queryLen : 0;   // cache rows past Tk: nothing to do, zeros out
    load_tile_async<KEYS, THREADS>(sK, static_cast<const ops_bf16*>(a.k) + kBase, width, j0, a.keyLen);
    load_tile_async<KEYS, THREADS>(sV, static_cast<const ops_bf16*>(a.v) + kBase, width, j0, a.keyLen);
    if (firstRow < rowEnd) {
        load_tile_async<ROWS, THREADS>(sQ, q, width, firstRow, a.queryLen);
        load_tile_async<ROWS, THREADS>(sDO, dout, width, firstRow, a.queryLen);
    }
    cp_async_commit();
    if (rowEnd > 0)
        for (int w = threadIdx.x; w < queryPad + KEYS - 1; w += THREADS) sBias[w] = table_bias2(a, h, j0 + w - (queryPad - 1) - a.queryOffset);
    for (int r = threadIdx.x; r < ROWS; r += THREADS) {
        const bool live = firstRow + r < a.queryLen;
        sLse[r] = live ? a.lse[rowBase + firstRow + r] * ATTN_LOG2E : __uint_as_float(0x7f800000u);
        sDelta[r] = live ? a.delta[rowBase + firstRow + r] : 0.0f;
    }
    const int jl0 = 16 * warp + g;   // this lane's keys (block-local): jl0, jl0 + 8
    const float keyAdd[2] = {key_add2(a, b, j0 + jl0), key_add2(a, b, j0 + jl0 + 8)};
    const float scale2 = a.scale * ATTN_LOG2E;
    cp_async_wait<0>();
    __syncthreads();

    float dk[kD / 8][4], dv[kD / 8][4];
#pragma unroll
    for (int n = 0; n < kD / 8; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e) dk[n][e] = dv[n][e] = 0.0f;

    int buf = 0;
    for (int i0 = firstRow; i0 < rowEnd; i0 += ROWS, buf ^= 1) {
        const ops_bf16* cQ = sQ + buf * ROWS * kD;
        const ops_bf16* cDO = sDO + buf * ROWS * kD;
        const float* cLse = sLse + buf * ROWS;
        const float* cDelta = sDelta + buf * ROWS;
        const int next = i0 + ROWS;
        float nLse = 0.0f, nDelta = 0.0f;
        if (next < rowEnd) {   // the other buffers were last read before the barrier that ended the previous tile
            load_tile_async<ROWS, THREADS>(sQ + (buf ^ 1) * ROWS * kD, q, width, next, a.queryLen);
            load_tile_async<ROWS, THREADS>(sDO + (buf ^ 1) * ROWS * kD, dout, width, next, a.queryLen);
            if (threadIdx.x < ROWS) {
                const bool live = next + threadIdx.x < a.queryLen;
                nLse = live ? a.lse[rowBase + next + threadIdx.x] * ATTN_LOG2E : __uint_as_float(0x7f800000u);
                nDelta = live ? a.delta[rowBase + next + threadIdx.x] : 0.0f;
            }
        }
        cp_async_commit();

        // Sᵀ = K·Qᵀ and dPᵀ = V·dOᵀ: this warp's 16 keys × ROWS queries
        float st[ROWS / 8][4], dpt[ROWS / 8][4];
#pragma unroll
        for (int n = 0; n < ROWS / 8; ++n)
#pragma unroll
            for (int e = 0; e < 4; ++e) st[n][e] = dpt[n][e] = 0.0f;
#pragma unroll
        for (int kk = 0; kk < kD / 16; ++kk) {
            unsigned int kf[4], vf[4];
            frag_a(kf, sK, 16 * warp, 16 * kk);
            frag_a(vf, sV, 16 * warp, 16 * kk);
#pragma unroll
            for (int n = 0; n < ROWS / 8; n += 2) {
                unsigned int qf[4], of[4];
                frag_b2(qf, cQ, 16 * kk, 8 * n);
                frag_b2(of, cDO, 16 * kk, 8 * n);
                mma(st[n], kf, qf[0], qf[1]);
                mma(st[n + 1], kf, qf[2], qf[3]);
                mma(dpt[n], vf, of[0], of[1]);
                mma(dpt[n + 1], vf, of[2], of[3]);
            }
        }

        // Pᵀ into st, dSᵀ into dpt, scale·dSᵀ into shared memory for dQ
#pragma unroll
        for (int n = 0; n < ROWS / 8; ++n) {
            const int il = 8 * n + 2 * t;
            const float2 lse2 = *reinterpret_cast<const float2*>(cLse + il);
            const float2 dl = *reinterpret_cast<const float2*>(cDelta + il);
#pragma unroll
            for (int r = 0; r < 2; ++r) {
                const int jl = jl0 + 8 * r;
                float p[2];
#pragma unroll
                for (int c = 0; c < 2; ++c) {
                    const int i = i0 + il + c, j = j0 + jl;
                    float x = fmaf(st[n][2 * r + c], scale2, sBias[jl - i + queryPad - 1]) + keyAdd[r];
                    if (GENERAL) {
                        if (a.bias != nullptr && i < a.queryLen && j < a.keyLen)
                            x += a.bias[(static_cast<long long>(h) * a.queryLen + i) * a.biasStride + j] * ATTN_LOG2E;
                        if (a.causal && j > i + a.queryOffset) x = ops_neg_inf();
                    }
                    p[c] = fast_exp2(x - (c ? lse2.y : lse2.x));
                    st[n][2 * r + c] = p[c];
                    dpt[n][2 * r + c] = p[c] * (dpt[n][2 * r + c] - (c ? dl.y : dl.x));
                }
                *reinterpret_cast<unsigned int*>(sDS + swz(jl, il)) = pack(a.scale * dpt[n][2 * r], a.scale * dpt[n][2 * r + 1]);
            }
        }

        // dV += Pᵀ·dO, dK += dSᵀ·Q (scaled at the end): 16 keys × D, contracting over the tile's queries
#pragma unroll
        for (int kk = 0; kk < ROWS / 16; ++kk) {
            unsigned int pf[4], sf[4];
            pf[0] = pack(st[2 * kk][0], st[2 * kk][1]);
            pf[1] = pack(st[2 * kk][2], st[2 * kk][3]);
            pf[2] = pack(st[2 * kk + 1][0], st[2 * kk + 1][1]);
            pf[3] = pack(st[2 * kk + 1][2], st[2 * kk + 1][3]);
            sf[0] = pack(dpt[2 * kk][0], dpt[2 * kk][1]);
            sf[1] = pack(dpt[2 * kk][2], dpt[2 * kk][3]);
            sf[2] = pack(dpt[2 * kk + 1][0], dpt[2 * kk + 1][1]);
            sf[3] = pack(dpt[2 * kk + 1][2], dpt[2 * kk + 1][3]);
#pragma unroll
            for (int n = 0; n < kD / 8; n += 2) {
                unsigned int of[4], qf[4];
                frag_b2_rows(of, cDO, 16 * kk, 8 * n);
                frag_b2_rows(qf, cQ, 16 * kk, 8 * n);
                mma(dv[n], pf, of[0], of[1]);
                mma(dv[n + 1], pf, of[2], of[3]);
                mma(dk[n], sf, qf[0], qf[1]);
                mma(dk[n + 1], sf, qf[2], qf[3]);
            }
        }
        __syncthreads();   // sDS complete

        // dQ (ROWS × D) += scale·dS·K over this block's KEYS keys: warp w takes query rows 16·(w mod 4).., and
        // D / (WARPS / 4) columns; fp32 atomics (other key blocks add to the same rows)
        {
            constexpr int COLS = kD * 4 / WARPS;   // 64 (4 warps) or 32 (8 warps)
            const int mq = warp & 3, c0 = (warp >> 2) * COLS;
            float acc[COLS / 8][4];
#pragma unroll
            for (int n = 0; n < COLS / 8; ++n) acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.0f;
#pragma unroll
            for (int kk = 0; kk < KEYS / 16; ++kk) {
                unsigned int sf[4];
                frag_a_t(sf, sDS, 16 * mq, 16 * kk);
#pragma unroll
                for (int n = 0; n < COLS / 8; n += 2) {
                    unsigned int kf[4];
                    frag_b2_rows(kf, sK, 16 * kk, c0 + 8 * n);
                    mma(acc[n], sf, kf[0], kf[1]);
                    mma(acc[n + 1], sf, kf[2], kf[3]);
                }
            }
#pragma unroll
            for (int r = 0; r < 2; ++r) {
                const int i = i0 + 16 * mq + g + 8 * r;
                if (i >= a.queryLen) continue;
                float* dst = a.dqAccum + qBase + i * width + c0 + 2 * t;
#pragma unroll
                for (int n = 0; n < COLS / 8; ++n) {
                    atomicAdd(dst + 8 * n, acc[n][2 * r]);
                    atomicAdd(dst + 8 * n + 1, acc[n][2 * r + 1]);
                }
            }
        }
        if (next < rowEnd && threadIdx.x < ROWS) {
            sLse[(buf ^ 1) * ROWS + threadIdx.x] = nLse;
            sDelta[(buf ^ 1) * ROWS + threadIdx.x] = nDelta;
        }
        cp_async_wait<0>();
        __syncthreads();   // next tile landed; sDS, this tile's buffers free
    }

    ops_bf16* dkOut = static_cast<ops_bf16*>(a.dk) + kBase;
    ops_bf16* dvOut = static_cast<ops_bf16*>(a.dv) + kBase;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        const int j = j0 + jl0 + 8 * r;
        if (j >= a.capacity) continue;
#pragma unroll
        for (int n = 0; n < kD / 8; ++n) {
            const long long at = j * width + 8 * n + 2 * t;
            *reinterpret_cast<unsigned int*>(dkOut + at) = pack(a.scale * dk[n][2 * r], a.scale * dk[n][2 * r + 1]);
            *reinterpret_cast<unsigned int*>(dvOut + at) = pack(dv[n][2 * r], dv[n][2 * r + 1]);
        }
    }
}

// 8 warps each. The forward is capped at 128 registers for 2 blocks (16 warps) per SM; the backward takes what it needs
// (dK, dV, Sᵀ, dPᵀ are 128 fp32 registers per lane). GENERAL: causal or a dense bias (tested per element).
#define ATTN5_DISPATCH(BODY) \
    if (a.causal != 0 || a.bias != nullptr) BODY<8, true>(a); \
    else BODY<8, false>(a);
extern "C" __global__ void __launch_bounds__(256, 2) attention_flash5_forward_bf16_64(const AttentionFlashArgs a) { ATTN5_DISPATCH(attn5_forward_body) }
extern "C" __global__ void __launch_bounds__(256) attention_flash5_backward_bf16_64(const AttentionFlashArgs a) { ATTN5_DISPATCH(attn5_backward_body) }
