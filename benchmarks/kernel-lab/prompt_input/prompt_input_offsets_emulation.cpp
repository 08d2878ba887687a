/*
The DePT input kernels' row offsets (left padding), run on the CPU through cpu-emulation-shim.h: the forward
(prompt_input_forward_f32out_f32emb on its per-example path: A·B sums, a precomputed delta, rank 0; one prompt or
several; vector (d = 40) and scalar (d = 37) paths) and the backward reduce (the workspace S_p[j] = Σ_b G[b, m + j + o_b])
against the formulas of prompt.cuh's header, and a bad offset reported as code 5 with its example's rows zero. Run
under AddressSanitizer so that any access out of bounds fails:

  g++ -std=c++20 -O1 -g -fsanitize=address,undefined -fno-strict-aliasing -pthread \
      -include benchmarks/kernel-lab/cpu-emulation-shim.h -I src/DePT.Kernels \
      benchmarks/kernel-lab/prompt_input/prompt_input_offsets_emulation.cpp -o /tmp/prompt_input_offsets
  /tmp/prompt_input_offsets
*/
#include "prompt.cuh"
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

int main()
{
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> U(-1, 1);
    int failures = 0;
    for (int trial = 0; trial < 12; ++trial) {
        int B = 2 + trial % 4, L = 3 + trial, m = trial % 3, d = (trial % 2) ? 40 : 37, r = (trial % 3 == 2) ? 0 : 1 + trial % 3, s = L + 2, V = 17, P = 1 + trial % 2;
        bool useDelta = trial % 4 == 1 && r > 0;
        std::vector<float> emb(V * d), prompt(P * m * d + 1), A(P * s * std::max(r, 1)), Bm(P * std::max(r, 1) * d), delta(P * s * d), out(B * (m + L) * d, NAN);
        for (auto& x : emb) x = U(rng);
        for (auto& x : prompt) x = U(rng);
        for (auto& x : A) x = U(rng);
        for (auto& x : Bm) x = U(rng);
        float scale = 1.5f;
        for (int p = 0; p < P; ++p)
            for (int i = 0; i < s; ++i)
                for (int c = 0; c < d; ++c) {
                    float acc = 0;
                    for (int k = 0; k < r; ++k) acc += A[(p * s + i) * r + k] * Bm[(p * r + k) * d + c];
                    delta[(p * s + i) * d + c] = scale * acc;
                }
        std::vector<int> ids(B * L), off(B), pidx(B);
        for (int b = 0; b < B; ++b) {
            off[b] = b == 0 ? 0 : (int)(rng() % (L + 1));
            pidx[b] = (int)(rng() % P);
            for (int i = 0; i < L; ++i) ids[b * L + i] = (int)(rng() % V);
        }
        int err[4] = {0, 0, 0, 0};
        PromptInputForwardArgs a{};
        a.out = out.data(); a.ids = ids.data(); a.emb = emb.data(); a.prompt = prompt.data();
        a.lowRankA = useDelta || r == 0 ? nullptr : A.data(); a.lowRankB = useDelta || r == 0 ? nullptr : Bm.data();
        a.delta = useDelta ? delta.data() : nullptr; a.promptIndex = P > 1 ? pidx.data() : nullptr; a.rowOffset = off.data(); a.errorFlag = err;
        a.batch = B; a.seqLen = L; a.promptLen = m; a.dim = d; a.rank = useDelta ? 0 : r; a.maxLen = s; a.vocab = V; a.numPrompts = P;
        a.embScale = 1.0f; a.lowRankScale = scale;
        dim3 grid{(unsigned)((d + 255) / 256), (unsigned)((m + L + 3) / 4), (unsigned)B};
        emu::launch(prompt_input_forward_f32out_f32emb, grid, 128, a, false);
        double worst = 0;
        for (int b = 0; b < B; ++b) {
            int p = P > 1 ? pidx[b] : 0;
            for (int t = 0; t < m + L; ++t)
                for (int c = 0; c < d; ++c) {
                    float expect;
                    if (t < m) expect = prompt[(p * m + t) * d + c];
                    else {
                        int i = t - m, j = i - off[b];
                        expect = emb[ids[b * L + i] * d + c];
                        if (j >= 0 && r > 0) expect += delta[(p * s + j) * d + c];
                    }
                    { double diff = std::fabs(out[(b * (m + L) + t) * d + c] - expect); worst = std::isnan(diff) ? 1e9 : std::max(worst, diff); }
                }
        }
        // backward reduce: workspace[p, j] = sum_b G[b, m + j + o_b]
        std::vector<float> G(B * (m + L) * d), dprompt(P * m * d + 1, 0.0f), work(P * L * d, NAN);
        for (auto& x : G) x = U(rng);
        PromptInputBackwardArgs g{};
        g.dprompt = dprompt.data(); g.workspace = work.data(); g.dinp = G.data(); g.promptIndex = P > 1 ? pidx.data() : nullptr; g.rowOffset = off.data();
        g.errorFlag = err; g.batch = B; g.seqLen = L; g.promptLen = m; g.dim = d; g.rank = r; g.maxLen = s; g.numPrompts = P; g.lowRankScale = scale;
        dim3 rgrid{(unsigned)((d + 255) / 256), (unsigned)((m + L + 3) / 4), 1};
        emu::launch(prompt_input_backward_reduce_f32, rgrid, 128, g, false);
        double worstBack = 0;
        for (int p = 0; p < P; ++p)
            for (int j = 0; j < L; ++j)
                for (int c = 0; c < d; ++c) {
                    double e = 0;
                    for (int b = 0; b < B; ++b)
                        if ((P > 1 ? pidx[b] : 0) == p && j + off[b] < L) e += G[(b * (m + L) + m + j + off[b]) * d + c];
                    { double diff = std::fabs(work[(p * L + j) * d + c] - e); worstBack = std::isnan(diff) ? 1e9 : std::max(worstBack, diff); }
                }
        bool ok = worst < 1e-5 && worstBack < 1e-4 && err[0] == 0;
        failures += !ok;
        std::printf("trial %d B=%d L=%d m=%d d=%d r=%d P=%d delta=%d: forward %.2e backward %.2e err %d %s\n", trial, B, L, m, d, r, P, useDelta, worst, worstBack, err[0], ok ? "ok" : "FAIL");
    }
    {
        // an offset past L: code 5, and that example's rows are zeros
        const int B = 2, L = 4, d = 8, V = 5;
        std::vector<float> emb(V * d, 1.0f), prompt(d, 2.0f), out(B * (1 + L) * d, NAN);
        std::vector<int> ids(B * L, 1), off = {0, L + 1};
        int err[4] = {0, 0, 0, 0};
        PromptInputForwardArgs a{};
        a.out = out.data(); a.ids = ids.data(); a.emb = emb.data(); a.prompt = prompt.data(); a.rowOffset = off.data(); a.errorFlag = err;
        a.batch = B; a.seqLen = L; a.promptLen = 1; a.dim = d; a.maxLen = L; a.vocab = V; a.numPrompts = 1; a.embScale = 1.0f;
        emu::launch(prompt_input_forward_f32out_f32emb, dim3{1, 2, 1}, 128, a, false);
        bool zeros = true;
        for (int i = (1 + L) * d; i < B * (1 + L) * d; ++i) zeros &= out[i] == 0.0f;
        bool ok = err[0] == DEPT_ERR_ROW_OFFSET && err[1] == L + 1 && err[2] == 1 && err[3] == L && zeros && out[0] == 2.0f;
        failures += !ok;
        std::printf("bad offset: code %d value %d example %d limit %d, rows zero %d %s\n", err[0], err[1], err[2], err[3], zeros, ok ? "ok" : "FAIL");
    }
    std::printf("%d failed\n", failures);
    return failures;
}
