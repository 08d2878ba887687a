/*
CPU reference for the DePT prompt-input family (src/DePT.Kernels/prompt.cuh), host C++ only, shared by
the nvcc kernel lab (prompt_input_lab.cu) and the CPU emulation test (prompt_input_emulation.cpp).

Everything accumulates in double. Inputs are held as float; a tensor that the device holds in bf16 is
generated already rounded to bf16, so the device and the reference see the same values and the only
difference left is the device's fp32 arithmetic (and bf16 rounding of the output).
Semantics, including the error rows, are those of prompt.cuh's header comment. Include prompt.cuh first
(the edge cases at the end name its error codes).
*/
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <array>
#include <cstring>
#include <random>
#include <string>
#include <vector>

// ---------------------------------------------------------------------------------------------------
// host bf16 (same rounding as common.cuh: nearest even, NaN kept quiet)

inline uint16_t host_float_to_bf16(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
}

inline float host_bf16_to_float(uint16_t h)
{
    const uint32_t u = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

inline float round_to_bf16(float f) { return host_bf16_to_float(host_float_to_bf16(f)); }

// ---------------------------------------------------------------------------------------------------
// one problem: sizes and host tensors

struct PromptSizes {
    int B, L, m, d, r, s, V, P;
    float embScale, lowRankScale;
    bool useDelta;         // forward reads delta (P, s, d) instead of A, B
    bool usePromptIndex;   // per-example prompt index; otherwise null (all prompt 0)
    std::string name;
};

struct PromptProblem {
    PromptSizes z;
    std::vector<int> ids;            // (B, L)
    std::vector<float> emb;          // (V, d)        bf16-exact when embBf16
    std::vector<float> prompt;       // (P, m, d)
    std::vector<float> A;            // (P, s, r)
    std::vector<float> Bm;           // (P, r, d)
    std::vector<float> delta;        // (P, s, d)     independent random values (tests the delta read)
    std::vector<int> promptIndex;    // (B) or empty
    std::vector<float> dinp;         // (B, m+L, d)   bf16-exact when dinpBf16
    std::vector<float> dprompt0;     // (P, m, d)     initial gradient contents (the kernels accumulate)
    std::vector<float> dA0;          // (P, s, r)
    std::vector<float> dB0;          // (P, r, d)
};

inline std::vector<float> random_floats(std::mt19937_64& rng, size_t n, float lo, float hi, bool bf16Exact)
{
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = bf16Exact ? round_to_bf16(u(rng)) : u(rng);
    return v;
}

// fresh random inputs, never zeros; prompt indices cover every prompt when P > 1 (and some examples
// share a prompt, so the forward's "recompute only on change" and the backward's grouping both run)
inline PromptProblem make_problem(const PromptSizes& z, std::mt19937_64& rng, bool embBf16, bool dinpBf16)
{
    PromptProblem q;
    q.z = z;
    const size_t T = static_cast<size_t>(z.m) + z.L;
    std::uniform_int_distribution<int> tok(0, z.V - 1);
    q.ids.resize(static_cast<size_t>(z.B) * z.L);
    for (auto& x : q.ids) x = tok(rng);
    q.emb = random_floats(rng, static_cast<size_t>(z.V) * z.d, -1.0f, 1.0f, embBf16);
    q.prompt = random_floats(rng, static_cast<size_t>(z.P) * z.m * z.d, -1.0f, 1.0f, false);
    const float aBound = z.r > 0 ? 1.0f / std::sqrt(static_cast<float>(z.r)) : 1.0f;
    q.A = random_floats(rng, static_cast<size_t>(z.P) * z.s * z.r, -aBound, aBound, false);
    q.Bm = random_floats(rng, static_cast<size_t>(z.P) * z.r * z.d, -0.5f, 0.5f, false);
    q.delta = random_floats(rng, static_cast<size_t>(z.P) * z.s * z.d, -0.5f, 0.5f, false);
    if (z.usePromptIndex) {
        q.promptIndex.resize(z.B);
        std::uniform_int_distribution<int> pr(0, z.P - 1);
        for (int b = 0; b < z.B; ++b) q.promptIndex[b] = (b % 3 == 1 && b > 0) ? q.promptIndex[b - 1] : pr(rng);
        if (z.P > 1 && z.B > 1) q.promptIndex[0] = z.P - 1;
    }
    q.dinp = random_floats(rng, static_cast<size_t>(z.B) * T * z.d, -1.0f, 1.0f, dinpBf16);
    q.dprompt0 = random_floats(rng, static_cast<size_t>(z.P) * z.m * z.d, -1.0f, 1.0f, false);
    q.dA0 = random_floats(rng, static_cast<size_t>(z.P) * z.s * z.r, -1.0f, 1.0f, false);
    q.dB0 = random_floats(rng, static_cast<size_t>(z.P) * z.r * z.d, -1.0f, 1.0f, false);
    return q;
}

inline int ref_prompt_of(const PromptProblem& q, int b) { return q.promptIndex.empty() ? 0 : q.promptIndex[b]; }

// ---------------------------------------------------------------------------------------------------
// reference forward: out (B, m+L, d); rows with a bad token id, a bad prompt index, or (low-rank in use)
// a position i >= s are zeros

inline std::vector<double> ref_forward(const PromptProblem& q)
{
    const PromptSizes& z = q.z;
    const size_t T = static_cast<size_t>(z.m) + z.L, d = z.d;
    const bool lowRank = z.useDelta || z.r > 0;
    // the low-rank rows, once per (prompt, position)
    std::vector<double> lr(static_cast<size_t>(z.P) * z.L * d, 0.0);
    for (int p = 0; p < z.P; ++p)
        for (int i = 0; i < z.L && i < z.s; ++i)
            for (size_t j = 0; j < d; ++j) {
                double v = 0.0;
                if (z.useDelta) {
                    v = q.delta[(static_cast<size_t>(p) * z.s + i) * d + j];
                } else if (z.r > 0) {
                    for (int k = 0; k < z.r; ++k)
                        v += static_cast<double>(q.A[(static_cast<size_t>(p) * z.s + i) * z.r + k]) *
                             q.Bm[(static_cast<size_t>(p) * z.r + k) * d + j];
                    v *= z.lowRankScale;
                }
                lr[(static_cast<size_t>(p) * z.L + i) * d + j] = v;
            }
    std::vector<double> out(static_cast<size_t>(z.B) * T * d, 0.0);
    for (int b = 0; b < z.B; ++b) {
        const int p = ref_prompt_of(q, b);
        if (p < 0 || p >= z.P) continue;
        for (size_t t = 0; t < T; ++t) {
            double* o = &out[(static_cast<size_t>(b) * T + t) * d];
            if (t < static_cast<size_t>(z.m)) {
                for (size_t j = 0; j < d; ++j) o[j] = q.prompt[(static_cast<size_t>(p) * z.m + t) * d + j];
                continue;
            }
            const int i = static_cast<int>(t) - z.m;
            const int id = q.ids[static_cast<size_t>(b) * z.L + i];
            if (id < 0 || id >= z.V) continue;
            if (lowRank && i >= z.s) continue;
            for (size_t j = 0; j < d; ++j)
                o[j] = static_cast<double>(q.emb[static_cast<size_t>(id) * d + j]) * z.embScale +
                       lr[(static_cast<size_t>(p) * z.L + i) * d + j];
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// reference backward: the expected final contents of dprompt, dA, dB (initial + gradient) and of the
// workspace S; dA rows >= min(L, s) keep their initial values

struct RefBackward {
    std::vector<double> dprompt, dA, dB, S;
};

inline RefBackward ref_backward(const PromptProblem& q)
{
    const PromptSizes& z = q.z;
    const size_t T = static_cast<size_t>(z.m) + z.L, d = z.d;
    RefBackward r;
    r.dprompt.assign(q.dprompt0.begin(), q.dprompt0.end());
    r.dA.assign(q.dA0.begin(), q.dA0.end());
    r.dB.assign(q.dB0.begin(), q.dB0.end());
    r.S.assign(static_cast<size_t>(z.P) * z.L * d, 0.0);
    for (int b = 0; b < z.B; ++b) {
        const int p = ref_prompt_of(q, b);
        if (p < 0 || p >= z.P) continue;
        for (size_t t = 0; t < T; ++t)
            for (size_t j = 0; j < d; ++j) {
                const double g = q.dinp[(static_cast<size_t>(b) * T + t) * d + j];
                if (t < static_cast<size_t>(z.m)) r.dprompt[(static_cast<size_t>(p) * z.m + t) * d + j] += g;
                else r.S[(static_cast<size_t>(p) * z.L + (t - z.m)) * d + j] += g;
            }
    }
    const int rows = z.L < z.s ? z.L : z.s;
    for (int p = 0; p < z.P; ++p) {
        for (int i = 0; i < rows; ++i)
            for (int k = 0; k < z.r; ++k) {
                double v = 0.0;
                for (size_t j = 0; j < d; ++j)
                    v += r.S[(static_cast<size_t>(p) * z.L + i) * d + j] * q.Bm[(static_cast<size_t>(p) * z.r + k) * d + j];
                r.dA[(static_cast<size_t>(p) * z.s + i) * z.r + k] += z.lowRankScale * v;
            }
        for (int k = 0; k < z.r; ++k)
            for (size_t j = 0; j < d; ++j) {
                double v = 0.0;
                for (int i = 0; i < rows; ++i)
                    v += static_cast<double>(q.A[(static_cast<size_t>(p) * z.s + i) * z.r + k]) *
                         r.S[(static_cast<size_t>(p) * z.L + i) * d + j];
                r.dB[(static_cast<size_t>(p) * z.r + k) * d + j] += z.lowRankScale * v;
            }
    }
    return r;
}

// reference delta (P, s, d) = scale · A · B
inline std::vector<double> ref_delta(const PromptProblem& q)
{
    const PromptSizes& z = q.z;
    const size_t d = z.d;
    std::vector<double> out(static_cast<size_t>(z.P) * z.s * d, 0.0);
    for (int p = 0; p < z.P; ++p)
        for (int i = 0; i < z.s; ++i)
            for (size_t j = 0; j < d; ++j) {
                double v = 0.0;
                for (int k = 0; k < z.r; ++k)
                    v += static_cast<double>(q.A[(static_cast<size_t>(p) * z.s + i) * z.r + k]) *
                         q.Bm[(static_cast<size_t>(p) * z.r + k) * d + j];
                out[(static_cast<size_t>(p) * z.s + i) * d + j] = z.lowRankScale * v;
            }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// ‖out − ref‖ / ‖ref‖ (NaN anywhere in out gives NaN, which fails every "< tolerance" test); when ref is
// all zeros the absolute norm ‖out‖ is returned instead

inline double rel_error(const float* out, const double* ref, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double e = static_cast<double>(out[i]) - ref[i];
        num += e * e;
        den += ref[i] * ref[i];
    }
    return den > 0.0 ? std::sqrt(num / den) : std::sqrt(num);
}

inline double rel_error(const std::vector<float>& out, const std::vector<double>& ref)
{
    if (out.size() != ref.size()) return NAN;
    return rel_error(out.data(), ref.data(), out.size());
}

// first index where |out − ref| > relTol·|ref| + absTol·max|ref| (or out is NaN), or -1; the norm above can
// hide one wrong row among many, this cannot
inline long long first_mismatch(const std::vector<float>& out, const std::vector<double>& ref, double relTol, double absTol)
{
    double scale = 0.0;
    for (double v : ref) scale = std::fmax(scale, std::fabs(v));
    if (scale == 0.0) scale = 1.0;
    for (size_t i = 0; i < out.size(); ++i)
        if (!(std::fabs(out[i] - ref[i]) <= relTol * std::fabs(ref[i]) + absTol * scale)) return static_cast<long long>(i);
    return -1;
}

// ---------------------------------------------------------------------------------------------------
// the edge cases both runners (CPU emulation, GPU lab) check the library on: every path (vector and
// scalar, column tails, m = 0, r = 0, L = 1, B = 1, several prompts, delta, r and L not multiples of the
// block tiles, several rounds of the block-staged low-rank sum, an embedding scale) and the three error codes

struct ExpectedError {
    std::array<int, 4> flag{0, 0, 0, 0};
    bool anyValue = false;   // several bad elements: value and position may name any one of them
};

struct EdgeCase {
    PromptSizes z;
    void (*corrupt)(PromptProblem&) = nullptr;   // plants bad ids / indices after generation
    ExpectedError forward, backward;
};

inline PromptSizes edge_sizes(const char* name, int B, int L, int m, int d, int r, int s, int V, int P, bool delta, bool pidx)
{
    const float alpha = 8.0f;
    return PromptSizes{B, L, m, d, r, s, V, P, 1.0f, r > 0 ? alpha / std::sqrt(static_cast<float>(r)) : 0.0f, delta, pidx, name};
}

inline std::vector<EdgeCase> edge_cases()
{
    std::vector<EdgeCase> cases;
    auto add = [&](PromptSizes z) { cases.push_back(EdgeCase{z, nullptr, {}, {}}); };
    add(edge_sizes("vector, column tail", 5, 7, 3, 264, 2, 9, 50, 1, false, false));
    add(edge_sizes("scalar d=100", 3, 5, 2, 100, 3, 5, 40, 1, false, false));
    add(edge_sizes("odd d=13", 2, 3, 1, 13, 1, 4, 7, 1, false, false));
    add(edge_sizes("m=0", 4, 6, 0, 64, 4, 6, 30, 1, false, false));
    add(edge_sizes("r=0 vanilla PT", 3, 5, 4, 40, 0, 5, 20, 1, false, false));
    add(edge_sizes("L=1 B=1", 1, 1, 2, 24, 2, 3, 10, 1, false, false));
    add(edge_sizes("three prompts", 9, 6, 3, 272, 5, 8, 60, 3, false, true));
    add(edge_sizes("r=9, L=10: rank and row tails", 4, 10, 2, 136, 9, 12, 25, 2, false, true));
    add(edge_sizes("r=19, one prompt: staged low-rank rounds and a column tail", 3, 6, 2, 264, 19, 7, 20, 1, false, false));
    add(edge_sizes("delta", 6, 5, 2, 256, 4, 7, 30, 2, true, true));
    add(edge_sizes("delta scalar d=50", 3, 4, 1, 50, 3, 4, 12, 1, true, false));
    PromptSizes scaled = edge_sizes("embScale", 3, 5, 2, 48, 2, 6, 16, 1, false, false);
    scaled.embScale = 27.7128f;   // sqrt(768)
    add(scaled);

    // token id out of range: that row zero, code 1; one bad id is named exactly
    EdgeCase badId{edge_sizes("bad token id", 4, 6, 2, 64, 3, 6, 20, 1, false, false),
                   [](PromptProblem& q) { q.ids[2 * 6 + 4] = 20; }, {}, {}};
    badId.forward.flag = {DEPT_ERR_TOKEN_ID, 20, 2 * 6 + 4, 20};
    cases.push_back(badId);
    EdgeCase badIds{edge_sizes("two bad token ids", 4, 6, 2, 64, 3, 6, 20, 1, false, false),
                    [](PromptProblem& q) { q.ids[1] = -1; q.ids[3 * 6 + 5] = 1 << 30; }, {}, {}};
    badIds.forward.flag = {DEPT_ERR_TOKEN_ID, 0, 0, 20};
    badIds.forward.anyValue = true;
    cases.push_back(badIds);
    // prompt index out of range: the example's rows zero (forward), the example skipped (backward), code 2
    EdgeCase badPrompt{edge_sizes("bad prompt index", 5, 4, 2, 40, 2, 4, 15, 2, false, true),
                       [](PromptProblem& q) { q.promptIndex[3] = 2; }, {}, {}};
    badPrompt.forward.flag = {DEPT_ERR_PROMPT_INDEX, 2, 3, 2};
    badPrompt.backward.flag = {DEPT_ERR_PROMPT_INDEX, 2, 3, 2};
    cases.push_back(badPrompt);
    // L > s with a low-rank term: rows i >= s zero, dA/dB from rows < s, code 3 (forward: every row i >= s
    // reports, so the position names one of them)
    EdgeCase tooLong{edge_sizes("L > s", 3, 7, 2, 32, 2, 5, 15, 1, false, false), nullptr, {}, {}};
    tooLong.forward.flag = {DEPT_ERR_SEQ_LONGER_THAN_MAX, 7, 5, 5};
    tooLong.forward.anyValue = true;
    tooLong.backward.flag = {DEPT_ERR_SEQ_LONGER_THAN_MAX, 7, 5, 5};
    cases.push_back(tooLong);
    return cases;
}

// the two copies of a case's inputs: fp32 storage, and the same values with emb and dinp rounded to bf16
inline void make_case_problems(const EdgeCase& c, std::mt19937_64& rng, PromptProblem& q32, PromptProblem& q16)
{
    q32 = make_problem(c.z, rng, false, false);
    if (c.corrupt) c.corrupt(q32);
    q16 = q32;
    for (auto& v : q16.emb) v = round_to_bf16(v);
    for (auto& v : q16.dinp) v = round_to_bf16(v);
}
