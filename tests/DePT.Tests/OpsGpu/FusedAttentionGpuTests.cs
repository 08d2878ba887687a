using DePT.Backends;
using DePT.Diagnostics;
using DePT.Tensors;
using static DePT.Tensors.DType;

namespace DePT.Tests.OpsGpu;

/// <summary>
/// The fused attention kernels (attention_flash_*), forward and backward, against the CPU reference and, in bf16, against
/// the unfused GPU path on the same inputs: T5 encoder and decoder shapes with the relative table evaluated in the kernel,
/// BERT scaling, cross-attention, KV-cache prefill and decoding steps (Tk &lt; Tcap, query offset), a dense bias; head dims
/// 32, 64 and 128; lengths that are not multiples of the tiles; example 0 fully masked wherever there is a mask; grouped-query
/// (LLaMA: H 4 over Hkv 2, H 8 over 2) and multi-query (H 8 over Hkv 1) attention, causal, padded, KV cache, where dK and dV
/// sum each key/value head's group of query heads. bf16 multi-head cases with dh 64 run attention_flash5_* (attention_fast.cuh;
/// each case asserts which kernels ran), including long (600) and odd (133/257, 331) lengths; the rest attention_flash_*.
/// bf16 (tensor cores, the default path) within 2e-2 relative error; fp32 (the check path, forced with
/// <see cref="AttentionPath.Fused"/>: the same tiles with the mma done in fp32) within 1e-3.
/// </summary>
public class FusedAttentionGpuTests : OpsGpuTest
{
    private const double Bf16FusedBound = 2e-2;
    private const double F32FusedBound = 1e-3;

    public enum MaskKind { None, Random, RandomOverCapacity }

    public enum BiasKind { None, Table, Dense }

    public sealed record Case(string Name, int Batch, int Heads, int HeadDim, int QueryLen, int Capacity, int KeyLength, bool Causal, int QueryOffset,
        MaskKind Mask, BiasKind Bias, float Scale, int KeyValueHeads = 0)
    {
        public int KeyLen => KeyLength == 0 ? Capacity : KeyLength;

        public int Width => Heads * HeadDim;

        /// <summary>Hkv·dh: the width of key and value (Heads·dh without grouped-query attention).</summary>
        public int KeyWidth => (KeyValueHeads == 0 ? Heads : KeyValueHeads) * HeadDim;

        public override string ToString() => Name;
    }

    private static readonly Case[] Shapes =
    [
        new("t5-encoder 316", 2, 12, 64, 316, 316, 0, false, 0, MaskKind.Random, BiasKind.Table, 1f),
        new("t5-decoder causal", 2, 4, 64, 77, 77, 0, true, 0, MaskKind.None, BiasKind.Table, 1f),
        new("bert dh128", 3, 2, 128, 65, 65, 0, false, 0, MaskKind.Random, BiasKind.None, 1f / MathF.Sqrt(128)),
        new("minilm dh32", 2, 3, 32, 33, 33, 0, false, 0, MaskKind.Random, BiasKind.None, 1f / MathF.Sqrt(32)),
        new("cross", 2, 3, 64, 21, 130, 0, false, 0, MaskKind.Random, BiasKind.None, 1f),
        new("kv-prefill", 2, 2, 64, 5, 40, 23, true, 0, MaskKind.RandomOverCapacity, BiasKind.Table, 1f),
        new("kv-step", 2, 2, 128, 1, 50, 31, true, 30, MaskKind.None, BiasKind.Table, 1f),
        new("dense bias causal", 1, 2, 64, 70, 70, 0, true, 0, MaskKind.None, BiasKind.Dense, 1f),
        new("long dh128", 1, 2, 128, 300, 300, 0, false, 0, MaskKind.Random, BiasKind.Table, 1f),
        new("gqa h4/kv2 causal mask", 2, 4, 64, 37, 37, 0, true, 0, MaskKind.Random, BiasKind.None, 0.125f, KeyValueHeads: 2),
        new("gqa h8/kv2 dh128 causal mask", 2, 8, 128, 45, 45, 0, true, 0, MaskKind.Random, BiasKind.None, 1f / MathF.Sqrt(128), KeyValueHeads: 2),
        new("mqa h8/kv1 causal", 2, 8, 64, 70, 70, 0, true, 0, MaskKind.None, BiasKind.None, 0.125f, KeyValueHeads: 1),
        new("mqa h8/kv1 dh32 padding", 3, 8, 32, 67, 67, 0, false, 0, MaskKind.Random, BiasKind.None, 1f / MathF.Sqrt(32), KeyValueHeads: 1),
        new("gqa kv-prefill", 2, 4, 64, 5, 40, 23, true, 0, MaskKind.RandomOverCapacity, BiasKind.None, 0.125f, KeyValueHeads: 2),
        new("gqa kv-step", 2, 4, 128, 1, 50, 31, true, 30, MaskKind.None, BiasKind.None, 1f / MathF.Sqrt(128), KeyValueHeads: 2),
        new("gqa t5 table", 2, 4, 64, 29, 29, 0, false, 0, MaskKind.Random, BiasKind.Table, 1f, KeyValueHeads: 2),
        // longer and odd shapes for attention_flash5_* (bf16, dh 64, multi-head): several 128-row blocks, a partial last
        // block, key tiles past the first, the bias window over hundreds of relative positions
        new("t5-encoder 600", 2, 3, 64, 600, 600, 0, false, 0, MaskKind.Random, BiasKind.Table, 1f),
        new("t5-decoder causal 331", 2, 2, 64, 331, 331, 0, true, 0, MaskKind.Random, BiasKind.Table, 1f),
        new("cross 133/257", 2, 2, 64, 133, 257, 0, false, 0, MaskKind.Random, BiasKind.None, 0.125f),
        new("kv-prefill 150/300", 2, 2, 64, 150, 300, 171, true, 21, MaskKind.RandomOverCapacity, BiasKind.Table, 1f),
        new("kv-step 1/200", 3, 2, 64, 1, 200, 129, true, 128, MaskKind.RandomOverCapacity, BiasKind.Table, 1f),
        new("dense bias causal 200", 1, 3, 64, 200, 200, 0, true, 0, MaskKind.None, BiasKind.Dense, 0.125f),
    ];

    // the kernels a fused call of this case should launch: attention_flash5_* for bf16 multi-head dh 64, else attention_flash_*
    private static (string Forward, string Backward) ExpectedKernels(Case c, DType dtype) =>
        dtype == BF16 && c.HeadDim == 64 && (c.KeyValueHeads == 0 || c.KeyValueHeads == c.Heads)
            ? ("attention_flash5_forward_bf16_64", "attention_flash5_backward_bf16_64")
            : ($"attention_flash_forward_{(dtype == BF16 ? "bf16" : "f32")}_{c.HeadDim}", $"attention_flash_backward_{(dtype == BF16 ? "bf16" : "f32")}_{c.HeadDim}");

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var c in Shapes)
            foreach (var dtype in new[] { BF16, F32 })
                yield return new TestCaseData(c, dtype).SetArgDisplayNames($"{c.Name} {dtype}");
    }

    [TearDown]
    public void RestorePath() => Gpu.AttentionPath = AttentionPath.Auto;

    [TestCaseSource(nameof(Cases))]
    public void FusedAttentionAndItsBackwardMatchCpu(Case c, DType dtype)
    {
        // bf16 takes the fused kernels by default; fp32 only when asked
        Gpu.AttentionPath = dtype == F32 ? AttentionPath.Fused : AttentionPath.Auto;
        var inputs = Draw(c, dtype);
        double bound = dtype == F32 ? F32FusedBound : Bf16FusedBound;

        var output = Poisoned(dtype, c.Batch, c.QueryLen, c.Width);
        var states = new AttentionState[2];
        Both((be, g) => states[g ? 1 : 0] = Track(be.Attention(output.On(g), inputs.Query.On(g), inputs.Key.On(g), inputs.Value.On(g), inputs.Mask?.On(g), inputs.Bias(g), inputs.Options)));
        Assert.That(states[1].IsFused, Is.True, "the fused kernels ran");
        var expected = ExpectedKernels(c, dtype);
        Assert.That(Gpu.LastFusedForwardKernel, Is.EqualTo(expected.Forward), "forward kernel");
        long elementBytes = dtype.SizeInBytes();
        Assert.That(states[1].SavedBytes, Is.EqualTo(4L * c.Batch * c.Heads * c.QueryLen + elementBytes * c.Batch * c.QueryLen * c.Width),
            "the fused state holds the log-sum-exps and the output, no (Tq, Tk) matrix");
        AssertClose(output, $"{c} output", bound);

        var dOutput = Input(Values((long)c.Batch * c.QueryLen * c.Width), dtype, c.Batch, c.QueryLen, c.Width);
        var dQuery = Poisoned(dtype, c.Batch, c.QueryLen, c.Width);
        var dKey = Poisoned(dtype, c.Batch, c.Capacity, c.KeyWidth);
        var dValue = Poisoned(dtype, c.Batch, c.Capacity, c.KeyWidth);
        Both((be, g) => be.AttentionBackward(dQuery.On(g), dKey.On(g), dValue.On(g), dOutput.On(g), inputs.Query.On(g), inputs.Key.On(g), inputs.Value.On(g), states[g ? 1 : 0]));
        Assert.That(Gpu.LastFusedBackwardKernel, Is.EqualTo(expected.Backward), "backward kernel");
        AssertClose(dQuery, $"{c} dQuery", bound);
        AssertClose(dKey, $"{c} dKey (rows past Tk zero)", bound);
        AssertClose(dValue, $"{c} dValue (rows past Tk zero)", bound);
        if (dtype == F32) return;

        // the unfused GPU path on the same device inputs
        Gpu.AttentionPath = AttentionPath.Unfused;
        using var unfusedOutput = Gpu.Allocate(dtype, c.Batch, c.QueryLen, c.Width);
        using var unfusedDQuery = Gpu.Allocate(dtype, c.Batch, c.QueryLen, c.Width);
        using var unfusedDKey = Gpu.Allocate(dtype, c.Batch, c.Capacity, c.KeyWidth);
        using var unfusedDValue = Gpu.Allocate(dtype, c.Batch, c.Capacity, c.KeyWidth);
        using (var unfused = Gpu.Attention(unfusedOutput, inputs.Query.Gpu, inputs.Key.Gpu, inputs.Value.Gpu, inputs.Mask?.Gpu, inputs.Bias(true), inputs.Options))
        {
            Assert.That(unfused.IsFused, Is.False);
            Gpu.AttentionBackward(unfusedDQuery, unfusedDKey, unfusedDValue, dOutput.Gpu, inputs.Query.Gpu, inputs.Key.Gpu, inputs.Value.Gpu, unfused);
        }
        AssertSame(output.Gpu, unfusedOutput, $"{c} fused vs unfused output");
        AssertSame(dQuery.Gpu, unfusedDQuery, $"{c} fused vs unfused dQuery");
        AssertSame(dKey.Gpu, unfusedDKey, $"{c} fused vs unfused dKey");
        AssertSame(dValue.Gpu, unfusedDValue, $"{c} fused vs unfused dValue");
    }

    [TestCase(BF16)]
    [TestCase(F32)]
    public void FullyMaskedRowsGiveZerosNotNaN(DType dtype)
    {
        Gpu.AttentionPath = AttentionPath.Fused;
        var c = new Case("masked", 2, 2, 64, 70, 70, 0, false, 0, MaskKind.Random, BiasKind.Table, 1f);
        var inputs = Draw(c, dtype);   // example 0 hides every key
        using var output = Gpu.Allocate(dtype, c.Batch, c.QueryLen, c.Width);
        using var dQuery = Gpu.Allocate(dtype, c.Batch, c.QueryLen, c.Width);
        using var dKey = Gpu.Allocate(dtype, c.Batch, c.Capacity, c.Width);
        using var dValue = Gpu.Allocate(dtype, c.Batch, c.Capacity, c.Width);
        output.FillBytes(0xFF);
        dQuery.FillBytes(0xFF);
        using var dOutput = Gpu.Allocate(dtype, c.Batch, c.QueryLen, c.Width);
        dOutput.CopyFrom(Values((long)c.Batch * c.QueryLen * c.Width));
        using (var state = Gpu.Attention(output, inputs.Query.Gpu, inputs.Key.Gpu, inputs.Value.Gpu, inputs.Mask!.Value.Gpu, inputs.Bias(true), inputs.Options))
            Gpu.AttentionBackward(dQuery, dKey, dValue, dOutput, inputs.Query.Gpu, inputs.Key.Gpu, inputs.Value.Gpu, state);
        var expected = ExpectedKernels(c, dtype);
        Assert.That((Gpu.LastFusedForwardKernel, Gpu.LastFusedBackwardKernel), Is.EqualTo(expected), "kernels");
        int half = c.QueryLen * c.Width;
        var y = output.ToFloatArray();
        var dq = dQuery.ToFloatArray();
        Assert.That(y.AsSpan(0, half).ToArray(), Is.All.EqualTo(0f), "example 0 sees no key: zeros");
        Assert.That(dq.AsSpan(0, half).ToArray(), Is.All.EqualTo(0f), "no gradient through rows that saw nothing");
        Assert.That(dKey.ToFloatArray().AsSpan(0, c.Capacity * c.Width).ToArray(), Is.All.EqualTo(0f), "masked keys get no gradient");
        Assert.That(y.Concat(dq).Concat(dKey.ToFloatArray()).Concat(dValue.ToFloatArray()), Has.All.Matches<float>(float.IsFinite));
        Assert.That(y.AsSpan(half).ToArray(), Has.Some.Not.EqualTo(0f), "example 1 sees keys");
    }

    [Test]
    public void FusedPathRefusesWhatItCannotRun()
    {
        Gpu.AttentionPath = AttentionPath.Fused;
        using var query = Gpu.Allocate(BF16, 1, 4, 2 * 40);
        using var key = Gpu.Allocate(BF16, 1, 4, 2 * 40);
        using var value = Gpu.Allocate(BF16, 1, 4, 2 * 40);
        using var output = Gpu.Allocate(BF16, 1, 4, 2 * 40);
        var e = Assert.Throws<NotSupportedException>(() => Gpu.Attention(output, query, key, value, null, null, new AttentionOptions(2)));
        Assert.That(e!.Message, Does.Contain("head dim 40"));
    }

    private void AssertSame(Tensor fused, Tensor unfused, string what)
    {
        Gpu.Synchronize();
        var a = fused.ToFloatArray();
        var b = unfused.ToFloatArray();
        double error = ErrorMetrics.Relative(a, b, floor: 1e-3);
        Assert.That(error, Is.LessThan(Bf16FusedBound), $"{what}: relative error {error:G3}; {ErrorMetrics.FirstMismatches(a, b, Bf16FusedBound)}");
    }

    private sealed record Inputs(Pair Query, Pair Key, Pair Value, Pair? Mask, Pair? Table, Pair? Dense, bool Bidirectional, AttentionOptions Options)
    {
        public PositionBias? Bias(bool gpu) =>
            Table is { } t ? PositionBias.Relative(t.On(gpu), Bidirectional, 128) : Dense?.On(gpu);
    }

    private Inputs Draw(Case c, DType dtype)
    {
        var query = Input(Values((long)c.Batch * c.QueryLen * c.Width), dtype, c.Batch, c.QueryLen, c.Width);
        var key = Input(Values((long)c.Batch * c.Capacity * c.KeyWidth), dtype, c.Batch, c.Capacity, c.KeyWidth);
        var value = Input(Values((long)c.Batch * c.Capacity * c.KeyWidth), dtype, c.Batch, c.Capacity, c.KeyWidth);
        int maskColumns = c.Mask == MaskKind.RandomOverCapacity ? c.Capacity : c.KeyLen;
        Pair? mask = c.Mask == MaskKind.None ? null : Ints(KeyMask(c.Batch, maskColumns), c.Batch, maskColumns);
        Pair? table = c.Bias == BiasKind.Table ? Input(Values(32L * c.Heads, 2f), F32, 32, c.Heads) : null;
        Pair? dense = c.Bias == BiasKind.Dense ? Input(Values((long)c.Heads * c.QueryLen * c.KeyLen, 2f), F32, c.Heads, c.QueryLen, c.KeyLen) : null;
        return new Inputs(query, key, value, mask, table, dense, !c.Causal, new AttentionOptions(c.Heads, c.Scale, c.Causal, c.KeyLength, c.QueryOffset, c.KeyValueHeads));
    }

    // example 0 hides every key when there are several examples; the rest hide about one key in four
    private int[] KeyMask(int batch, int columns)
    {
        var mask = new int[batch * columns];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < columns; j++)
                mask[b * columns + j] = b == 0 && batch > 1 ? 0 : Rng.Next(4) == 0 ? 0 : 1;
        return mask;
    }
}
