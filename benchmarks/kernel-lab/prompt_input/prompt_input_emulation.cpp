/*
CPU emulation test of the library's prompt-input kernels (src/DePT.Kernels/prompt.cuh), for machines
without a GPU: the device code is compiled as C++ through cpu-emulation-shim.h and every kernel is run
over the grid its comment documents, on small shapes that reach every path (vector and scalar, column
tails, m = 0, r = 0, L = 1, B = 1, several prompts, the delta path, batchSplit 1..B+3, persistent grids
of 1 to 5·n blocks, unaligned pointers, r not a multiple of 8, the three error codes), and compared with
prompt_input_ref.h; the lab's numbered versions (prompt_input_lab.cu, kernel section only) run too: v4,
v5 and every configuration version on every case, v1..v3 on the valid ones. Kernels with __syncthreads
(block-staged low-rank sums) run their block's threads as real threads.
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

// A grid whose kernel has __syncthreads: the block's threads run as real threads, one pool of them for the
// whole grid (thread 0 moves blockIdx on between blocks, behind the pool's barrier), which costs far less
// than emu::launch's fresh threads per block.
void launch_with_barriers(ForwardKernel kernel, dim3 grid, unsigned int threads, const PromptInputForwardArgs& args)
{
    gridDim = grid;
    blockDim = dim3{threads, 1, 1};
    std::barrier<> bar(static_cast<std::ptrdiff_t>(threads));
    emu::blockBarrier = &bar;
    emu::shuffleSlots.assign(threads, 0.0f);
    const unsigned int blocks = grid.x * grid.y * grid.z;
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (unsigned int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            threadIdx = uint3{t, 0, 0};
            for (unsigned int k = 0; k < blocks; ++k) {
                if (t == 0) blockIdx = dim3{k % grid.x, (k / grid.x) % grid.y, k / (grid.x * grid.y)};
                bar.arrive_and_wait();   // blockIdx is k's
                kernel(args);
                bar.arrive_and_wait();   // every thread is done with block k
            }
        });
    for (auto& th : pool) th.join();
    emu::blockBarrier = nullptr;
}

// the forward geometry as prompt.cuh's header documents it, for configuration Cfg: tiled (ceil(d / C),
// ceil((m + L) / R), batchSplit), persistent (min(n · numSMs, tiles · B), 1, 1)
template <class Cfg> dim3 documented_grid(const PromptInputForwardArgs& a, int batchSplit, int numSMs)
{
    const int cols = 1024 / Cfg::kRows;
    const long long tiles = static_cast<long long>(ceil_div_host(a.dim, cols)) * ceil_div_host(a.promptLen + a.seqLen, Cfg::kRows);
    if (Cfg::kPersistent > 0)
        return dim3{static_cast<unsigned>(std::min<long long>(static_cast<long long>(Cfg::kPersistent) * numSMs, tiles * a.batch)), 1, 1};
    return dim3{static_cast<unsigned>(ceil_div_host(a.dim, cols)), static_cast<unsigned>(ceil_div_host(a.promptLen + a.seqLen, Cfg::kRows)),
                static_cast<unsigned>(batchSplit)};
}

// the geometries a configuration is checked on: batchSplit 1, 2, B, B+3 (tiled), or the persistent grid
// for 1, 2 and 5 multiprocessors and grids of 1, 2, 3 blocks (ranges that cross tiles and examples);
// `brief` keeps the first and last
template <class Cfg> std::vector<std::pair<std::string, dim3>> geometries(const PromptInputForwardArgs& a, bool brief)
{
    std::vector<std::pair<std::string, dim3>> g;
    if (Cfg::kPersistent == 0) {
        for (int split : {1, 2, a.batch, a.batch + 3}) g.push_back({"split=" + std::to_string(split), documented_grid<Cfg>(a, split, 1)});
    } else {
        for (int sms : {1, 2, 5}) g.push_back({"persistent SMs=" + std::to_string(sms), documented_grid<Cfg>(a, 1, sms)});
        for (unsigned blocks : {1u, 2u, 3u}) g.push_back({"grid " + std::to_string(blocks), dim3{blocks, 1, 1}});
    }
    if (brief) g = {g.front(), g.back()};
    return g;
}

template <typename OutT, typename EmbT, typename Launch>
void test_forward(const PromptProblem& q, const std::vector<double>& ref, bool misalign, const ExpectedError& err, const char* types,
                  const std::string& label, Launch&& launch)
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

    launch(a);

    const bool bf16Out = sizeof(OutT) == 2;
    char what[400];
    std::snprintf(what, sizeof what, "forward %s %s%s %s", label.c_str(), types, misalign ? " unaligned" : "", describe(z).c_str());
    check_tensor(what, download(out), ref, bf16Out ? 1e-2 : 1e-5, bf16Out ? 5e-3 : 1e-5, 1e-6);
    check_flag(what, flag, err.flag, err.anyValue);
}

// configuration Cfg (the library's extern "C" kernels when `library`) on its geometries, aligned and unaligned
template <class Cfg, typename OutT, typename EmbT>
void test_config(const std::string& who, bool library, const PromptProblem& q, const std::vector<double>& ref, const ExpectedError& err,
                 const char* types, bool brief)
{
    const ForwardKernel kernel = library ? forward_kernel<OutT, EmbT>() : prompt_input_forward_config<Cfg, OutT, EmbT>;
    PromptInputForwardArgs shape{};
    shape.batch = q.z.B; shape.seqLen = q.z.L; shape.promptLen = q.z.m; shape.dim = q.z.d;
    const auto grids = geometries<Cfg>(shape, brief);
    for (size_t k = 0; k < grids.size(); ++k)
        for (bool misalign : {false, true}) {
            if (misalign && k != grids.size() - 1) continue;   // the scalar path: one geometry
            const dim3 grid = grids[k].second;
            test_forward<OutT, EmbT>(q, ref, misalign, err, types, who + " " + grids[k].first, [&](const PromptInputForwardArgs& a) {
                if (Cfg::kLowRank > 0) launch_with_barriers(kernel, grid, 128, a);   // block-staged sums: __syncthreads
                else emu::launch(kernel, grid, 128, a, false);
            });
        }
}

// the lab's numbered versions before the configuration family (v1..v5), each on its own grid
template <typename OutT, typename EmbT>
void test_version(int version, const PromptProblem& q, const std::vector<double>& ref, const ExpectedError& err, const char* types, int split)
{
    const PromptSizes& z = q.z;
    const int rows = z.m + z.L;
    dim3 grid;
    ForwardKernel kernel = nullptr;
    switch (version) {
    case V1:
        kernel = prompt_input_forward_v1<OutT, EmbT>;
        grid = dim3{static_cast<unsigned>(ceil_div_host(z.B * rows * z.d, 256)), 1, 1};
        break;
    case V2:
    case V3:
        kernel = version == V2 ? prompt_input_forward_rowblock<OutT, EmbT, 1> : prompt_input_forward_rowblock<OutT, EmbT, 4>;
        grid = dim3{static_cast<unsigned>(ceil_div_host(z.d, 1024)), static_cast<unsigned>(rows), static_cast<unsigned>(split)};
        break;
    default:
        kernel = version == V4 ? prompt_input_forward_run1<OutT, EmbT, 4> : prompt_input_forward_run1<OutT, EmbT, 8>;
        grid = dim3{static_cast<unsigned>(ceil_div_host(z.d, 256)), static_cast<unsigned>(ceil_div_host(rows, 4)), static_cast<unsigned>(split)};
    }
    test_forward<OutT, EmbT>(q, ref, false, err, types, std::string(version_name(version)) + " split=" + std::to_string(split),
                             [&](const PromptInputForwardArgs& a) { emu::launch(kernel, grid, version == V1 ? 256 : 128, a, false); });
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
    test_config<PromptForwardLibrary, float, float>("library", true, q32, ref32, c.forward, "f32out/f32emb", false);
    test_config<PromptForwardLibrary, bf16, float>("library", true, q32, ref32, c.forward, "bf16out/f32emb", false);
    test_config<PromptForwardLibrary, float, bf16>("library", true, q16, ref16, c.forward, "f32out/bf16emb", false);
    test_config<PromptForwardLibrary, bf16, bf16>("library", true, q16, ref16, c.forward, "bf16out/bf16emb", false);

    PromptProblem b32 = q32, b16 = q16;
    b32.z.useDelta = b16.z.useDelta = false;   // the backward always has A and B
    const auto rb32 = ref_backward(b32);
    test_backward<float>(b32, rb32, false, c.backward);
    test_backward<float>(b32, rb32, true, c.backward);
    test_backward<bf16>(b16, ref_backward(b16), false, c.backward);

    // the lab's versions: v4, v5 and the configuration versions on every case (they report errors as the
    // library does); v1, v2, v3 on valid inputs only (v2/v3 have no error handling and no scalar path)
    for (int v : {V4, V5})
        for (int split : {1, 2}) {
            test_version<float, float>(v, q32, ref32, c.forward, "f32out/f32emb", split);
            test_version<bf16, bf16>(v, q16, ref16, c.forward, "bf16out/bf16emb", split);
        }
    for_each_config_version([&](const ConfigVersion& v, auto tag) {
        using Tag = decltype(tag);
        const std::string who = "v" + std::to_string(v.number);
        test_config<typename Tag::type, bf16, bf16>(who, false, q16, ref16, c.forward, "bf16out/bf16emb", true);
        if constexpr (Tag::kF32) test_config<typename Tag::type, float, float>(who, false, q32, ref32, c.forward, "f32out/f32emb", true);
    });
    if (c.corrupt == nullptr && c.z.L <= c.z.s) {
        for (int v : {V1, V2, V3}) {
            if ((v == V2 || v == V3) && c.z.d % 8 != 0) continue;
            for (int split : {1, 2}) {
                test_version<float, float>(v, q32, ref32, c.forward, "f32out/f32emb", split);
                test_version<bf16, bf16>(v, q16, ref16, c.forward, "bf16out/bf16emb", split);
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
