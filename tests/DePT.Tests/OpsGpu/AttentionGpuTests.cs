using DePT.Backends;
using DePT.Tensors;
using static DePT.Tensors.DType;

namespace DePT.Tests.OpsGpu;

/// <summary>
/// Unfused attention (<see cref="AttentionPath.Unfused"/>), forward (output and saved probabilities) and backward, against the CPU: encoder,
/// BERT-scaled, causal, KV-cache, cross-attention and grouped-query (LLaMA) shapes, with key masks (one example fully masked),
/// T5 position biases (Tk or Tcap columns). Gradients in f32 are held to 1e-4, not 1e-5: dS = P ⊙ (dP −
/// rowsum(dP ⊙ P)) subtracts each row's weighted mean of dP, so the GEMMs' rounding (relative to |dP|) is
/// relative to a smaller result, and dQ, dK sum Tk, Tq such terms.
/// </summary>
public class AttentionGpuTests : OpsGpuTest
{
    private const double GradientBound = 1e-4;

    public enum MaskKind { None, Random, RandomOverCapacity }

    public enum BiasKind { None, KeyColumns, CapacityColumns }

    public sealed record Case(string Name, int Batch, int Heads, int HeadDim, int QueryLen, int Capacity, int KeyLength, bool Causal, int QueryOffset,
        MaskKind Mask, BiasKind Bias, float Scale, int KeyValueHeads = 0)
    {
        public int KeyWidth => (KeyValueHeads == 0 ? Heads : KeyValueHeads) * HeadDim;

        public int KeyLen => KeyLength == 0 ? Capacity : KeyLength;

        public override string ToString() => Name;
    }

    private static readonly Case[] Shapes =
    [
        new("t5-encoder", 2, 3, 8, 9, 9, 0, false, 0, MaskKind.Random, BiasKind.KeyColumns, 1f),
        new("bert", 3, 2, 16, 33, 33, 0, false, 0, MaskKind.Random, BiasKind.None, 0.25f),
        new("decoder-self", 2, 4, 8, 7, 7, 0, true, 0, MaskKind.None, BiasKind.KeyColumns, 1f),
        new("kv-prefill", 2, 2, 8, 5, 12, 5, true, 0, MaskKind.Random, BiasKind.KeyColumns, 1f),
        new("kv-step", 2, 2, 8, 1, 12, 8, true, 7, MaskKind.RandomOverCapacity, BiasKind.CapacityColumns, 1f),
        new("cross", 2, 3, 5, 4, 11, 0, false, 0, MaskKind.Random, BiasKind.None, 1f),
        new("wide", 2, 12, 64, 128, 128, 0, false, 0, MaskKind.Random, BiasKind.KeyColumns, 1f),
        new("gqa-causal", 2, 8, 16, 19, 19, 0, true, 0, MaskKind.Random, BiasKind.None, 0.25f, KeyValueHeads: 2),
        new("gqa-kv-step", 3, 4, 8, 1, 12, 9, true, 8, MaskKind.RandomOverCapacity, BiasKind.None, 0.35f, KeyValueHeads: 2),
        new("mqa", 2, 6, 8, 7, 7, 0, true, 0, MaskKind.None, BiasKind.None, 0.35f, KeyValueHeads: 1),
    ];

    [SetUp]
    public void UseUnfusedPath() => Gpu.AttentionPath = AttentionPath.Unfused;

    [TearDown]
    public void RestorePath() => Gpu.AttentionPath = AttentionPath.Auto;

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var c in Shapes)
            foreach (var dtype in new[] { F32, BF16 })
                yield return new TestCaseData(c, dtype).SetArgDisplayNames($"{c.Name} {dtype}");
    }

    [TestCaseSource(nameof(Cases))]
    public void AttentionAndItsBackwardMatchCpu(Case c, DType dtype)
    {
        int width = c.Heads * c.HeadDim;
        var query = Input(Values((long)c.Batch * c.QueryLen * width), dtype, c.Batch, c.QueryLen, width);
        var key = Input(Values((long)c.Batch * c.Capacity * c.KeyWidth), dtype, c.Batch, c.Capacity, c.KeyWidth);
        var value = Input(Values((long)c.Batch * c.Capacity * c.KeyWidth), dtype, c.Batch, c.Capacity, c.KeyWidth);
        Pair? mask = c.Mask == MaskKind.None ? null : Ints(KeyMask(c), c.Batch, c.Mask == MaskKind.Random ? c.KeyLen : c.Capacity);
        int biasColumns = c.Bias == BiasKind.CapacityColumns ? c.Capacity : c.KeyLen;
        Pair? bias = c.Bias == BiasKind.None ? null : Input(Values((long)c.Heads * c.QueryLen * biasColumns, 2f), F32, c.Heads, c.QueryLen, biasColumns);
        var options = new AttentionOptions(c.Heads, c.Scale, c.Causal, c.KeyLength, c.QueryOffset, c.KeyValueHeads);

        var output = Poisoned(dtype, c.Batch, c.QueryLen, width);
        var states = new AttentionState[2];
        Both((be, g) => states[g ? 1 : 0] = Track(be.Attention(output.On(g), query.On(g), key.On(g), value.On(g), mask?.On(g), bias?.On(g), options)));
        AssertClose(output, $"{c} output");
        Assert.That(states[1].KeyLength, Is.EqualTo(c.KeyLen));
        // the probabilities come from identical inputs with fp32 accumulation on both sides; tensor cores
        // (bf16) accumulate in fp32 without IEEE rounding at every step, hence the looser bound there
        Assert.That(states[1].IsFused, Is.False);
        AssertClose(new Pair(states[0].Probabilities!, states[1].Probabilities!), $"{c} probabilities", dtype == F32 ? F32Bound : GradientBound);

        var dOutput = Input(Values((long)c.Batch * c.QueryLen * width), dtype, c.Batch, c.QueryLen, width);
        var dQuery = Poisoned(dtype, c.Batch, c.QueryLen, width);
        var dKey = Poisoned(dtype, c.Batch, c.Capacity, c.KeyWidth);
        var dValue = Poisoned(dtype, c.Batch, c.Capacity, c.KeyWidth);
        Both((be, g) => be.AttentionBackward(dQuery.On(g), dKey.On(g), dValue.On(g), dOutput.On(g), query.On(g), key.On(g), value.On(g), states[g ? 1 : 0]));
        double bound = dtype == F32 ? GradientBound : Bf16Bound;
        AssertClose(dQuery, $"{c} dQuery", bound);
        AssertClose(dKey, $"{c} dKey (rows past Tk zero)", bound);
        AssertClose(dValue, $"{c} dValue (rows past Tk zero)", bound);
    }

    [Test]
    public void FullyMaskedRowsGiveZerosNotNaN()
    {
        using var query = Gpu.Allocate(F32, 2, 3, 8);
        using var key = Gpu.Allocate(F32, 2, 4, 8);
        using var value = Gpu.Allocate(F32, 2, 4, 8);
        using var mask = Gpu.Allocate(I32, 2, 4);
        using var output = Gpu.Allocate(F32, 2, 3, 8);
        query.CopyFrom(Values(48));
        key.CopyFrom(Values(64));
        value.CopyFrom(Values(64));
        mask.CopyFrom([0, 0, 0, 0, 1, 0, 1, 1]);
        output.FillBytes(0xFF);
        using var state = Gpu.Attention(output, query, key, value, mask, null, new AttentionOptions(2));
        var y = output.ToFloatArray();
        Assert.That(y.AsSpan(0, 24).ToArray(), Is.All.EqualTo(0f), "example 0 sees no key");
        var seen = y.AsSpan(24).ToArray();
        Assert.That(seen, Has.All.Matches<float>(float.IsFinite), "example 1 sees three keys");
        Assert.That(seen, Has.Some.Not.EqualTo(0f), "example 1 sees three keys");
    }

    // 0 or 1 per (example, key column); example 0 hides every key when there are several examples, the rest
    // hide about one key in four
    private int[] KeyMask(Case c)
    {
        int columns = c.Mask == MaskKind.Random ? c.KeyLen : c.Capacity;
        var mask = new int[c.Batch * columns];
        for (int b = 0; b < c.Batch; b++)
            for (int j = 0; j < columns; j++)
                mask[b * columns + j] = b == 0 && c.Batch > 1 ? 0 : Rng.Next(4) == 0 ? 0 : 1;
        return mask;
    }
}
