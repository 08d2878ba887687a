/*
CPU emulation test of the library's prompt-input kernels (src/DePT.Kernels/prompt.cuh), for machines
without a GPU: the device code is compiled as C++ through cpu-emulation-shim.h and every kernel is run
over the grid its comment documents, on small shapes that reach every path (vector and scalar, column
tails, m = 0, r = 0, L = 1, B = 1, several prompts, the delta path, batchSplit 1..B+3, unaligned
pointers, r not a multiple of 8, the three error codes), and compared with prompt_input_ref.h; the lab's
numbered versions (prompt_input_lab.cu, kernel section only) run on the valid cases too.
It checks indexing, bounds and the =/+= rule, not device speed or device arithmetic. Run it under
AddressSanitizer so that any read or write out of bounds fails the run:

  g++ -std=c++20 -O1 -g -fsanitize=address,undefined -fno-strict-aliasing -pthread \
      -include benchmarks/kernel-lab/cpu-emulation-shim.h -I src/DePT.Kernels -I benchmarks/kernel-lab/prompt_input \
      benchmarks/kernel-lab/prompt_input/prompt_input_emulation.cpp -o /tmp/prompt_input_emulation
  /tmp/prompt_input_emulation [seed]
*/

// the lab's kernel section: the library (prompt.cuh), the reference, and the lab's numbered versions
#define PROMPT_INPUT_LAB_KERNELS_ONLY
#include "prompt_input_lab.cu"

#include <array>
#include <chrono>
#include <cstdlib>

namespace {

int failures = 0;
int checks = 0;

void expect(bool ok, const std::string& what)
{
    ++checks;
    if (!ok) {
        ++failures;
        std::printf("FAIL  %s\n", what.c_str());
    }
}

// device-side copy of a host tensor in storage type T; `misalign` shifts the data one element past a
// 16-byte boundary (the buffer keeps exact bounds at the end, where AddressSanitizer watches)
template <typename T> struct Buffer {
    std::vector<T> storage;
    T* ptr = nullptr;
    size_t n = 0;
    Buffer(size_t count, bool misalign) : storage(count + (misalign ? 1 : 0)), n(count)
    {
        ptr = count == 0 ? nullptr : storage.data() + (misalign ? 1 : 0);
    }
};

template <typename T> T to_storage(float v);
template <> float to_storage<float>(float v) { return v; }
template <> bf16 to_storage<bf16>(float v) { return bf16{host_float_to_bf16(v)}; }
inline float from_storage(float v) { return v; }
inline float from_storage(bf16 v) { return host_bf16_to_float(v.bits); }

template <typename T> Buffer<T> upload(const std::vector<float>& host, bool misalign)
{
    Buffer<T> b(host.size(), misalign);
    for (size_t i = 0; i < host.size(); ++i) b.ptr[i] = to_storage<T>(host[i]);
    return b;
}

template <typename T> Buffer<T> poisoned(size_t n, bool misalign)
{
    Buffer<T> b(n, misalign);
    for (size_t i = 0; i < n; ++i) b.ptr[i] = to_storage<T>(NAN);
    return b;
}

template <typename T> std::vector<float> download(const Buffer<T>& b)
{
    std::vector<float> v(b.n);
    for (size_t i = 0; i < b.n; ++i) v[i] = from_storage(b.ptr[i]);
    return v;
}

Buffer<int> upload_ints(const std::vector<int>& host, bool misalign)
{
    Buffer<int> b(host.size(), misalign);
    for (size_t i = 0; i < host.size(); ++i) b.ptr[i] = host[i];
    return b;
}

int ceil_div_host(int a, int b) { return (a + b - 1) / b; }

std::string describe(const PromptSizes& z)
{
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s [B=%d L=%d m=%d d=%d r=%d s=%d V=%d P=%d%s%s]", z.name.c_str(), z.B, z.L, z.m, z.d,
                  z.r, z.s, z.V, z.P, z.useDelta ? " delta" : "", z.usePromptIndex ? " promptIndex" : "");
    return buf;
}

void check_tensor(const std::string& what, const std::vector<float>& got, const std::vector<double>& ref, double normTol,
                  double relTol, double absTol)
{
    const double err = rel_error(got, ref);
    const long long bad = first_mismatch(got, ref, relTol, absTol);
    char buf[160];
    if (bad >= 0)
        std::snprintf(buf, sizeof buf, " rel %.3g; first mismatch at %lld: %.8g vs %.8g", err, bad, got[bad], ref[bad]);
    else std::snprintf(buf, sizeof buf, " rel %.3g", err);
    expect(err < normTol && bad < 0, what + buf);
}

void check_flag(const std::string& what, const int* flag, const std::array<int, 4>& want, bool anyValue)
{
    const bool ok = flag[0] == want[0] && flag[3] == want[3] && (anyValue || (flag[1] == want[1] && flag[2] == want[2]));
    char buf[160];
    std::snprintf(buf, sizeof buf, " errorFlag {%d,%d,%d,%d}, expected {%d,%d,%d,%d}%s", flag[0], flag[1], flag[2], flag[3],
                  want[0], want[1], want[2], want[3], anyValue ? " (value/position: any bad one)" : "");
    expect(ok, what + buf);
}

// ------------------------------------------------------------------------------------------------------
// forward

using ForwardKernel = void (*)(const PromptInputForwardArgs);

template <typename OutT, typename EmbT> ForwardKernel forward_kernel();
template <> ForwardKernel forward_kernel<float, float>() { return prompt_input_forward_f32out_f32emb; }
template <> ForwardKernel forward_kernel<float, bf16>() { return prompt_input_forward_f32out_bf16emb; }
template <> ForwardKernel forward_kernel<bf16, float>() { return prompt_input_forward_bf16out_f32emb; }
template <> ForwardKernel forward_kernel<bf16, bf16>() { return prompt_input_forward_bf16out_bf16emb; }

// version 4 is the library; 1, 2, 3, 5 are the lab's (prompt_input_lab.cu), each on its own grid
template <typename OutT, typename EmbT>
void launch_version(int version, const PromptInputForwardArgs& a, int batchSplit)
{
    const int rows = a.promptLen + a.seqLen;
    switch (version) {
    case V1:
        emu::launch(prompt_input_forward_v1<OutT, EmbT>, dim3{static_cast<unsigned>(ceil_div_host(a.batch * rows * a.dim, 256)), 1, 1}, 256, a, false);
        break;
    case V2:
        emu::launch(prompt_input_forward_rowblock<OutT, EmbT, 1>, dim3{static_cast<unsigned>(ceil_div_host(a.dim, 1024)), static_cast<unsigned>(rows), static_cast<unsigned>(batchSplit)}, 128, a, false);
        break;
    case V3:
        emu::launch(prompt_input_forward_rowblock<OutT, EmbT, 4>, dim3{static_cast<unsigned>(ceil_div_host(a.dim, 1024)), static_cast<unsigned>(rows), static_cast<unsigned>(batchSplit)}, 128, a, false);
        break;
    default: {
        // documented: block 128; grid (ceil(d / 256), ceil((m + L) / 4), batchSplit)
        const dim3 grid{static_cast<unsigned>(ceil_div_host(a.dim, 256)), static_cast<unsigned>(ceil_div_host(rows, 4)), static_cast<unsigned>(batchSplit)};
        emu::launch(version == V5 ? prompt_input_forward_v5<OutT, EmbT> : forward_kernel<OutT, EmbT>(), grid, 128, a, false);
    }
    }
}

template <typename OutT, typename EmbT>
void test_forward(const PromptProblem& q, const std::vector<double>& ref, int batchSplit, bool misalign, const ExpectedError& err,
                  const char* types, int version = V4)
{
    const PromptSizes& z = q.z;
    const size_t T = static_cast<size_t>(z.m) + z.L;
    auto out = poisoned<OutT>(static_cast<size_t>(z.B) * T * z.d, misalign);
    auto ids = upload_ints(q.ids, misalign);
    auto emb = upload<EmbT>(q.emb, misalign);
    auto prompt = upload<float>(q.prompt, misalign);
    auto A = upload<float>(z.useDelta ? std::vector<float>{} : q.A, misalign);
    auto B = upload<float>(z.useDelta ? std::vector<float>{} : q.Bm, misalign);
    auto delta = upload<float>(z.useDelta ? q.delta : std::vector<float>{}, misalign);
    auto pidx = upload_ints(q.promptIndex, misalign);
    int flag[4] = {0, 0, 0, 0};

    PromptInputForwardArgs a{};
    a.out = out.ptr;
    a.ids = ids.ptr;
    a.emb = emb.ptr;
    a.prompt = prompt.ptr;
    a.lowRankA = A.ptr;
    a.lowRankB = B.ptr;
    a.delta = delta.ptr;
    a.promptIndex = pidx.ptr;
    a.errorFlag = flag;
    a.batch = z.B; a.seqLen = z.L; a.promptLen = z.m; a.dim = z.d; a.rank = z.r; a.maxLen = z.s; a.vocab = z.V;
    a.numPrompts = z.P;
    a.embScale = z.embScale;
    a.lowRankScale = z.lowRankScale;

    launch_version<OutT, EmbT>(version, a, batchSplit);

    const bool bf16Out = sizeof(OutT) == 2;
    char what[320];
    std::snprintf(what, sizeof what, "forward %s %s split=%d%s %s", version_name(version), types, batchSplit, misalign ? " unaligned" : "",
                  describe(z).c_str());
    check_tensor(what, download(out), ref, bf16Out ? 1e-2 : 1e-5, bf16Out ? 5e-3 : 1e-5, 1e-6);
    check_flag(what, flag, err.flag, err.anyValue);
}

template <typename OutT, typename EmbT>
void test_forward_splits(const PromptProblem& q, const std::vector<double>& ref, const ExpectedError& err, const char* types)
{
    for (int split : {1, 2, q.z.B, q.z.B + 3}) test_forward<OutT, EmbT>(q, ref, split, false, err, types);
    test_forward<OutT, EmbT>(q, ref, 2, true, err, types);
}

// ------------------------------------------------------------------------------------------------------
// backward: reduce, then lowrank_a and lowrank_b (when r > 0)

template <typename InT> void test_backward(const PromptProblem& q, const RefBackward& ref, bool misalign, const ExpectedError& err)
{
    const PromptSizes& z = q.z;
    auto dprompt = upload<float>(q.dprompt0, misalign);
    auto dA = upload<float>(q.dA0, misalign);
    auto dB = upload<float>(q.dB0, misalign);
    auto workspace = poisoned<float>(static_cast<size_t>(z.P) * z.L * z.d, misalign);
    auto dinp = upload<InT>(q.dinp, misalign);
    auto A = upload<float>(q.A, misalign);
    auto B = upload<float>(q.Bm, misalign);
    auto pidx = upload_ints(q.promptIndex, misalign);
    int flag[4] = {0, 0, 0, 0};

    PromptInputBackwardArgs a{};
    a.dprompt = dprompt.ptr;
    a.dlowRankA = dA.ptr;
    a.dlowRankB = dB.ptr;
    a.workspace = workspace.ptr;
    a.dinp = dinp.ptr;
    a.lowRankA = A.ptr;
    a.lowRankB = B.ptr;
    a.promptIndex = pidx.ptr;
    a.errorFlag = flag;
    a.batch = z.B; a.seqLen = z.L; a.promptLen = z.m; a.dim = z.d; a.rank = z.r; a.maxLen = z.s; a.numPrompts = z.P;
    a.lowRankScale = z.lowRankScale;

    // documented: reduce grid (ceil(d / 256), ceil((m + L) / 4), 1); lowrank_a (ceil(L / 4), ceil(r / 8), P);
    // lowrank_b (ceil(d / 128), ceil(r / 8), P); block 128
    const dim3 reduceGrid{static_cast<unsigned>(ceil_div_host(z.d, 256)), static_cast<unsigned>(ceil_div_host(z.m + z.L, 4)), 1};
    emu::launch(sizeof(InT) == 4 ? prompt_input_backward_reduce_f32 : prompt_input_backward_reduce_bf16, reduceGrid, 128, a, false);
    if (z.r > 0) {
        const dim3 gridA{static_cast<unsigned>(ceil_div_host(z.L, 4)), static_cast<unsigned>(ceil_div_host(z.r, 8)),
                         static_cast<unsigned>(z.P)};
        emu::launch(prompt_input_backward_lowrank_a, gridA, 128, a, true);
        const dim3 gridB{static_cast<unsigned>(ceil_div_host(z.d, 128)), static_cast<unsigned>(ceil_div_host(z.r, 8)),
                         static_cast<unsigned>(z.P)};
        emu::launch(prompt_input_backward_lowrank_b, gridB, 128, a, true);
    }

    char what[320];
    std::snprintf(what, sizeof what, "backward %s%s %s", sizeof(InT) == 4 ? "f32" : "bf16", misalign ? " unaligned" : "",
                  describe(z).c_str());
    const std::string w = what;
    check_tensor(w + " dprompt", download(dprompt), ref.dprompt, 1e-5, 1e-5, 1e-6);
    check_tensor(w + " workspace", download(workspace), ref.S, 1e-5, 1e-5, 1e-6);
    check_tensor(w + " dA", download(dA), ref.dA, 1e-5, 1e-5, 1e-6);
    check_tensor(w + " dB", download(dB), ref.dB, 1e-5, 1e-5, 1e-6);
    check_flag(w, flag, err.flag, err.anyValue);
}

void test_delta(const PromptProblem& q, bool misalign)
{
    const PromptSizes& z = q.z;
    auto delta = poisoned<float>(static_cast<size_t>(z.P) * z.s * z.d, misalign);
    auto A = upload<float>(q.A, misalign);
    auto B = upload<float>(q.Bm, misalign);
    LowRankDeltaArgs a{};
    a.delta = delta.ptr;
    a.lowRankA = A.ptr;
    a.lowRankB = B.ptr;
    a.numPrompts = z.P; a.maxLen = z.s; a.rank = z.r; a.dim = z.d;
    a.lowRankScale = z.lowRankScale;
    // documented: block 128; grid (ceil(d / 256), ceil(s / 4), P)
    const dim3 grid{static_cast<unsigned>(ceil_div_host(z.d, 256)), static_cast<unsigned>(ceil_div_host(z.s, 4)), static_cast<unsigned>(z.P)};
    emu::launch(prompt_lowrank_delta, grid, 128, a, false);
    check_tensor(std::string("delta") + (misalign ? " unaligned " : " ") + describe(z), download(delta), ref_delta(q), 1e-5, 1e-5, 1e-6);
}

// ------------------------------------------------------------------------------------------------------
// common.cuh's float -> bf16 against an independent statement of round-to-nearest-even: of the two bf16
// neighbours of f (the bit pattern 0x7f80 read as 2^128 for the overflow rule), take the nearer, and on a
// tie the one with an even last bit; NaN must stay NaN

double bf16_pattern_value(uint32_t top)   // top: the 16 bf16 bits, the exponent 255 read as an ordinary one
{
    const int sign = (top >> 15) & 1, exponent = (top >> 7) & 0xff, mantissa = top & 0x7f;
    const double mag = exponent == 0 ? std::ldexp(mantissa, -133) : std::ldexp(128 + mantissa, exponent - 134);
    return sign ? -mag : mag;
}

void test_bf16_rounding()
{
    int bad = 0;
    uint32_t firstBad = 0;
    auto check = [&](uint32_t u) {
        float f;
        std::memcpy(&f, &u, 4);
        const uint16_t got = float_to_bf16(f).bits;
        bool ok;
        if (std::isnan(f)) {
            ok = (got & 0x7f80u) == 0x7f80u && (got & 0x7fu) != 0 && (got >> 15) == (u >> 31);
        } else if (std::isinf(f)) {
            ok = got == (u >> 16);
        } else {
            const uint32_t lo = u >> 16, hi = lo + 1;   // same sign; hi is one step away from zero
            const double dlo = std::fabs(f - bf16_pattern_value(lo)), dhi = std::fabs(bf16_pattern_value(hi) - f);
            const uint32_t want = dlo < dhi ? lo : dhi < dlo ? hi : ((lo & 1u) == 0 ? lo : hi);
            ok = got == want && host_float_to_bf16(f) == want &&
                 (std::isinf(host_bf16_to_float(got)) || host_bf16_to_float(got) == static_cast<float>(bf16_pattern_value(want)));
        }
        if (!ok && bad++ == 0) firstBad = u;
        const bf16 h{static_cast<unsigned short>(u >> 16)};
        float back = bf16_to_float(h);
        uint32_t backBits;
        std::memcpy(&backBits, &back, 4);
        if (backBits != (u & 0xffff0000u) && bad++ == 0) firstBad = u;
    };
    const uint32_t special[] = {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0x7f800001u, 0xff800001u,
                                0xffc00001u, 0x7f7fffffu, 0x7f7f8000u, 0x7f7e8000u, 0x00008000u, 0x00018000u, 0x00007fffu,
                                0x3f808000u, 0x3f818000u, 0xbf808000u, 0x3f80ffffu};
    for (uint32_t u : special) check(u);
    for (uint64_t u = 0; u <= 0xffffffffull; u += 0x10001ull * 7) check(static_cast<uint32_t>(u));
    char buf[96];
    std::snprintf(buf, sizeof buf, "bf16 rounding: %d wrong (first 0x%08x)", bad, firstBad);
    expect(bad == 0, buf);
}

// ------------------------------------------------------------------------------------------------------

void run_case(const EdgeCase& c, std::mt19937_64& rng)
{
    PromptProblem q32, q16;
    make_case_problems(c, rng, q32, q16);
    const auto ref32 = ref_forward(q32);
    const auto ref16 = ref_forward(q16);
    test_forward_splits<float, float>(q32, ref32, c.forward, "f32out/f32emb");
    test_forward_splits<bf16, float>(q32, ref32, c.forward, "bf16out/f32emb");
    test_forward_splits<float, bf16>(q16, ref16, c.forward, "f32out/bf16emb");
    test_forward_splits<bf16, bf16>(q16, ref16, c.forward, "bf16out/bf16emb");

    PromptProblem b32 = q32, b16 = q16;
    b32.z.useDelta = b16.z.useDelta = false;   // the backward always has A and B
    const auto rb32 = ref_backward(b32);
    test_backward<float>(b32, rb32, false, c.backward);
    test_backward<float>(b32, rb32, true, c.backward);
    test_backward<bf16>(b16, ref_backward(b16), false, c.backward);

    // the lab's versions, on valid inputs (v2/v3 have no error handling and no scalar path)
    if (c.corrupt == nullptr && c.z.L <= c.z.s) {
        for (int v : {V1, V2, V3, V5}) {
            if ((v == V2 || v == V3) && c.z.d % 8 != 0) continue;
            for (int split : {1, 2}) {
                test_forward<float, float>(q32, ref32, split, false, c.forward, "f32out/f32emb", v);
                test_forward<bf16, bf16>(q16, ref16, split, false, c.forward, "bf16out/bf16emb", v);
            }
        }
    }

    if (c.z.r > 0) {   // documented: delta is launched only when r > 0
        test_delta(q32, false);
        test_delta(q32, true);
    }
}

}  // namespace

int main(int argc, char** argv)
{
    const unsigned long long seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10)
                                             : static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count());
    std::printf("prompt_input emulation, seed %llu\n", seed);
    std::mt19937_64 rng(seed);
    test_bf16_rounding();
    for (const EdgeCase& c : edge_cases()) run_case(c, rng);

    std::printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
