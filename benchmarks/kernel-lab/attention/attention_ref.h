/*
CPU reference of attention (src/DePT.Kernels/attention.cuh), forward and backward, in double, for the attention lab
and its CPU emulation test. Shapes as the library: q, out, dO, dQ (B, Tq, H·dh); k, v, dK, dV (B, Tcap, H·dh) of which
the first Tk rows are live; keyMask (B, Tk) ints or empty; the T5 table (buckets, H) or a dense bias (H, Tq, Tk) or
neither. Hidden keys (mask 0, causal j > i + queryOffset) get probability 0; a row with no visible key gives zeros.
*/
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

struct AttnProblem {
    int batch = 1, heads = 1, headDim = 64, queryLen = 1, capacity = 1, keyLen = 1, queryOffset = 0;
    bool causal = false, bidirectional = true;
    int buckets = 32, maxDistance = 128;
    float scale = 1.0f;
    std::vector<float> q, k, v, dout;   // values as the device holds them (bf16-rounded for a bf16 run)
    std::vector<int> keyMask;           // (B, Tk) or empty
    std::vector<float> table;           // (buckets, H) or empty
    std::vector<float> bias;            // (H, Tq, Tk) or empty
    int width() const { return heads * headDim; }
};

struct AttnResult {
    std::vector<double> out, lse, dq, dk, dv;
};

inline float attn_bf16_round(float x)
{
    uint32_t u;
    std::memcpy(&u, &x, 4);
    u += 0x7fffu + ((u >> 16) & 1u);
    u &= 0xffff0000u;
    float r;
    std::memcpy(&r, &u, 4);
    return r;
}

// T5's bucket as CpuBackend.RelativePositionBucket computes it
inline int attn_t5_bucket(int relative, bool bidirectional, int buckets, int maxDistance)
{
    int bucket = 0, n = buckets, distance;
    if (bidirectional) {
        n /= 2;
        if (relative > 0) bucket += n;
        distance = relative < 0 ? -relative : relative;
    } else {
        distance = relative < 0 ? -relative : 0;
    }
    const int maxExact = n / 2;
    if (distance < maxExact) return bucket + distance;
    const float ratio = std::log(static_cast<float>(distance) / maxExact) / static_cast<float>(std::log(static_cast<double>(maxDistance) / maxExact));
    const int large = maxExact + static_cast<int>(ratio * (n - maxExact));
    return bucket + (large < n - 1 ? large : n - 1);
}

inline AttnResult attention_reference(const AttnProblem& p)
{
    const int B = p.batch, H = p.heads, D = p.headDim, Tq = p.queryLen, Tk = p.keyLen, W = p.width();
    AttnResult r;
    r.out.assign(static_cast<size_t>(B) * Tq * W, 0.0);
    r.lse.assign(static_cast<size_t>(B) * H * Tq, INFINITY);
    r.dq.assign(r.out.size(), 0.0);
    r.dk.assign(static_cast<size_t>(B) * p.capacity * W, 0.0);
    r.dv.assign(r.dk.size(), 0.0);
    std::vector<double> s(Tk), prob(Tk), dp(Tk);
    for (int b = 0; b < B; ++b)
        for (int h = 0; h < H; ++h)
            for (int i = 0; i < Tq; ++i) {
                const size_t qi = (static_cast<size_t>(b) * Tq + i) * W + h * D;
                double mx = -INFINITY;
                for (int j = 0; j < Tk; ++j) {
                    const bool hidden = (!p.keyMask.empty() && p.keyMask[static_cast<size_t>(b) * Tk + j] == 0) || (p.causal && j > i + p.queryOffset);
                    if (hidden) { s[j] = -INFINITY; continue; }
                    const size_t kj = (static_cast<size_t>(b) * p.capacity + j) * W + h * D;
                    double dot = 0;
                    for (int d = 0; d < D; ++d) dot += static_cast<double>(p.q[qi + d]) * p.k[kj + d];
                    double bias = 0;
                    if (!p.table.empty()) bias = p.table[static_cast<size_t>(attn_t5_bucket(j - (i + p.queryOffset), p.bidirectional, p.buckets, p.maxDistance)) * H + h];
                    if (!p.bias.empty()) bias = p.bias[(static_cast<size_t>(h) * Tq + i) * Tk + j];
                    s[j] = p.scale * dot + bias;
                    mx = std::fmax(mx, s[j]);
                }
                if (mx == -INFINITY) continue;   // nothing visible: zeros, lse +inf, no gradient
                double sum = 0;
                for (int j = 0; j < Tk; ++j) sum += (prob[j] = s[j] == -INFINITY ? 0.0 : std::exp(s[j] - mx));
                r.lse[(static_cast<size_t>(b) * H + h) * Tq + i] = mx + std::log(sum);
                for (int j = 0; j < Tk; ++j) prob[j] /= sum;
                for (int j = 0; j < Tk; ++j) {
                    const size_t kj = (static_cast<size_t>(b) * p.capacity + j) * W + h * D;
                    for (int d = 0; d < D; ++d) r.out[qi + d] += prob[j] * p.v[kj + d];
                }
                if (p.dout.empty()) continue;
                // dV += pᵀ dO; dP = dO·Vᵀ; dS = P ⊙ (dP − Σ P dP); dQ = scale·dS·K; dK += scale·dSᵀ·Q
                double rowDot = 0;
                for (int j = 0; j < Tk; ++j) {
                    const size_t kj = (static_cast<size_t>(b) * p.capacity + j) * W + h * D;
                    double x = 0;
                    for (int d = 0; d < D; ++d) {
                        x += static_cast<double>(p.dout[qi + d]) * p.v[kj + d];
                        r.dv[kj + d] += prob[j] * p.dout[qi + d];
                    }
                    dp[j] = x;
                    rowDot += prob[j] * x;
                }
                for (int j = 0; j < Tk; ++j) {
                    const double ds = prob[j] * (dp[j] - rowDot) * p.scale;
                    if (ds == 0) continue;
                    const size_t kj = (static_cast<size_t>(b) * p.capacity + j) * W + h * D;
                    for (int d = 0; d < D; ++d) {
                        r.dq[qi + d] += ds * p.k[kj + d];
                        r.dk[kj + d] += ds * p.q[qi + d];
                    }
                }
            }
    return r;
}

// ‖x − ref‖ / ‖ref‖ (infinite entries of the reference must match exactly and are left out)
template <typename X>
inline double attn_relative_error(const std::vector<X>& x, const std::vector<double>& ref)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        if (std::isinf(ref[i])) {
            if (static_cast<double>(x[i]) != ref[i]) return INFINITY;
            continue;
        }
        const double d = static_cast<double>(x[i]) - ref[i];
        if (std::isnan(d)) return INFINITY;
        num += d * d;
        den += ref[i] * ref[i];
    }
    return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}
