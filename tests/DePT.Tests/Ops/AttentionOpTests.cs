using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Tensors;
using static DePT.Tests.Ops.OpTest;

namespace DePT.Tests.Ops;

/// <summary>
/// Unfused attention against softmax in double (masks, bias, causality, KV-cache lengths, grouped-query heads), and its
/// backward against finite differences.
/// </summary>
public class AttentionOpTests
{
    private readonly CpuBackend _cpu = new();

    /// <summary>One attention call: sizes, options and which optional inputs it has. MaskColumns/BiasColumns: Tk or Tcap.</summary>
    public sealed record Problem(int Batch, int QueryLen, int Capacity, int Heads, int HeadDim, AttentionOptions Options, bool Mask, bool Bias,
        bool MaskOverCapacity = false, bool BiasOverCapacity = false)
    {
        public int KeyLen => Options.KeyLength == 0 ? Capacity : Options.KeyLength;
        public int Width => Heads * HeadDim;
        public int KeyWidth => Options.KeyValueHeadCount * HeadDim;
        public int Group => Heads / Options.KeyValueHeadCount;
        public int MaskColumns => MaskOverCapacity ? Capacity : KeyLen;
        public int BiasColumns => BiasOverCapacity ? Capacity : KeyLen;

        public override string ToString() =>
            $"B={Batch} Tq={QueryLen} Tcap={Capacity} Tk={KeyLen} H={Heads} dh={HeadDim} scale={Options.Scale:G3}"
            + (Options.KeyValueHeads > 0 ? $" kv={Options.KeyValueHeads}" : "") + (Options.Causal ? $" causal+{Options.QueryOffset}" : "") + (Mask ? $" mask[{MaskColumns}]" : "") + (Bias ? $" bias[{BiasColumns}]" : "");
    }

    public static IEnumerable<TestCaseData> Problems()
    {
        yield return Case(new Problem(1, 1, 1, 1, 1, new(1), false, false));
        yield return Case(new Problem(2, 5, 5, 2, 8, new(2, 1 / MathF.Sqrt(8)), false, false));
        yield return Case(new Problem(2, 7, 7, 3, 4, new(3), true, true));
        yield return Case(new Problem(3, 6, 6, 2, 5, new(2, 0.5f, Causal: true), true, false));
        yield return Case(new Problem(2, 4, 9, 2, 3, new(2, 0.7f, KeyLength: 6), true, true));
        // Decoding one token at position 5 over a cache of 10 whose first 6 rows are live.
        yield return Case(new Problem(2, 1, 10, 2, 4, new(2, 1f, Causal: true, KeyLength: 6, QueryOffset: 5), true, true, MaskOverCapacity: true));
        // Three new tokens at positions 5..7 of a 12-row cache.
        yield return Case(new Problem(1, 3, 12, 2, 4, new(2, 1f, Causal: true, KeyLength: 8, QueryOffset: 5), true, true, BiasOverCapacity: true));
        yield return Case(new Problem(4, 40, 40, 4, 16, new(4, 0.25f), true, false));
        // Grouped-query attention: 4 query heads over 2 key/value heads, causal with a mask (LLaMA training), and one
        // decoding step over a cache; 6 over 1 (multi-query).
        yield return Case(new Problem(2, 6, 6, 4, 4, new(4, 0.5f, Causal: true, KeyValueHeads: 2), true, false));
        yield return Case(new Problem(2, 1, 9, 4, 4, new(4, 0.5f, Causal: true, KeyLength: 7, QueryOffset: 6, KeyValueHeads: 2), true, false, MaskOverCapacity: true));
        yield return Case(new Problem(1, 5, 5, 6, 2, new(6, 1f, KeyValueHeads: 1), false, true));
    }

    /// <summary>The problems small enough for finite differences (three forwards per probed element).</summary>
    public static IEnumerable<TestCaseData> SmallProblems() =>
        Problems().Where(c => c.Arguments[0] is Problem p && p.Batch * p.QueryLen * p.Capacity * p.Width <= 20000);

    private static TestCaseData Case(Problem p) => new TestCaseData(p).SetArgDisplayNames(p.ToString());

    [TestCaseSource(nameof(Problems))]
    public void ForwardMatchesSoftmaxInDouble(Problem p)
    {
        var data = Data.Draw(NewRandom(), p);
        using var t = data.Upload(_cpu, DType.F32);
        using var output = Poisoned(_cpu, DType.F32, p.Batch, p.QueryLen, p.Width);
        using var state = _cpu.Attention(output, t.Query, t.Key, t.Value, t.Mask, t.Bias, p.Options);
        var (expected, probabilities) = Reference(data);
        AssertClose(output.ToFloatArray(), expected, 1e-5, $"attention {p}");
        Assert.That(state.KeyLength, Is.EqualTo(p.KeyLen));
        AssertClose(state.Probabilities!.ToFloatArray(), probabilities, 1e-5, $"saved probabilities {p}");
    }

    [TestCaseSource(nameof(Problems))]
    public void Bf16ForwardStaysWithinBf16Error(Problem p)
    {
        var data = Data.Draw(NewRandom(), p);
        using var t = data.Upload(_cpu, DType.BF16);
        using var output = Poisoned(_cpu, DType.BF16, p.Batch, p.QueryLen, p.Width);
        using var state = _cpu.Attention(output, t.Query, t.Key, t.Value, t.Mask, t.Bias, p.Options);
        var stored = new Data
        {
            Problem = p,
            Query = Rounded(data.Query, DType.BF16),
            Key = Rounded(data.Key, DType.BF16),
            Value = Rounded(data.Value, DType.BF16),
            KeyMask = data.KeyMask,
            PositionBias = data.PositionBias,
        };
        AssertClose(output.ToFloatArray(), Reference(stored).Output, 1e-2, $"bf16 attention {p}");
    }

    [TestCaseSource(nameof(SmallProblems))]
    public void BackwardMatchesFiniteDifferences(Problem p)
    {
        var rng = NewRandom();
        var data = Data.Draw(rng, p);
        using var t = data.Upload(_cpu, DType.F32);
        var probe = Values(rng, p.Batch * p.QueryLen * p.Width);
        using var output = Poisoned(_cpu, DType.F32, p.Batch, p.QueryLen, p.Width);
        using var dOutput = Upload(_cpu, probe, DType.F32, p.Batch, p.QueryLen, p.Width);
        using var dQuery = Poisoned(_cpu, DType.F32, p.Batch, p.QueryLen, p.Width);
        using var dKey = Poisoned(_cpu, DType.F32, p.Batch, p.Capacity, p.KeyWidth);
        using var dValue = Poisoned(_cpu, DType.F32, p.Batch, p.Capacity, p.KeyWidth);
        using (var state = _cpu.Attention(output, t.Query, t.Key, t.Value, t.Mask, t.Bias, p.Options))
            _cpu.AttentionBackward(dQuery, dKey, dValue, dOutput, t.Query, t.Key, t.Value, state);

        double Loss()
        {
            using var state = _cpu.Attention(output, t.Query, t.Key, t.Value, t.Mask, t.Bias, p.Options);
            return Probe(output, probe);
        }
        AssertGradient(dQuery.ToFloatArray(), FiniteDifferences(rng, t.Query, data.Query, Loss), 2e-3, $"dQuery {p}");
        AssertGradient(dKey.ToFloatArray(), FiniteDifferences(rng, t.Key, data.Key, Loss), 2e-3, $"dKey {p}");
        AssertGradient(dValue.ToFloatArray(), FiniteDifferences(rng, t.Value, data.Value, Loss), 2e-3, $"dValue {p}");

        // Cache rows past the live keys are not used: their gradients are exactly zero (not left poisoned).
        var dk = dKey.ToFloatArray();
        var dv = dValue.ToFloatArray();
        for (int b = 0; b < p.Batch; b++)
            for (int j = p.KeyLen; j < p.Capacity; j++)
                for (int c = 0; c < p.KeyWidth; c++)
                {
                    long i = ((long)b * p.Capacity + j) * p.KeyWidth + c;
                    Assert.That(dk[i] == 0f && dv[i] == 0f, $"dKey/dValue row {j} ≥ KeyLength {p.KeyLen} of example {b} is {dk[i]}, {dv[i]}");
                }
    }

    [Test]
    public void FullyMaskedRowsGiveZerosNotNaN()
    {
        var rng = NewRandom();
        // Example 1 masks every key; in example 0 causality leaves query 0 only key 0, which the mask hides.
        var p = new Problem(2, 4, 4, 2, 3, new(2, 1f, Causal: true), true, true);
        var data = Data.Draw(rng, p);
        data.KeyMask = [0, 1, 1, 1, 0, 0, 0, 0];
        using var t = data.Upload(_cpu, DType.F32);
        using var output = Poisoned(_cpu, DType.F32, 2, 4, 6);
        using var dOutput = Upload(_cpu, Values(rng, 2 * 4 * 6), DType.F32, 2, 4, 6);
        using var dQuery = Poisoned(_cpu, DType.F32, 2, 4, 6);
        using var dKey = Poisoned(_cpu, DType.F32, 2, 4, 6);
        using var dValue = Poisoned(_cpu, DType.F32, 2, 4, 6);
        using var state = _cpu.Attention(output, t.Query, t.Key, t.Value, t.Mask, t.Bias, p.Options);
        _cpu.AttentionBackward(dQuery, dKey, dValue, dOutput, t.Query, t.Key, t.Value, state);

        var y = output.ToFloatArray();
        var dq = dQuery.ToFloatArray();
        Assert.That(y.Concat(dq).Concat(dKey.ToFloatArray()).Concat(dValue.ToFloatArray()), Is.All.Not.NaN);
        Assert.That(y[..6], Is.All.EqualTo(0f), "example 0, query 0: no visible key");
        Assert.That(y[24..], Is.All.EqualTo(0f), "example 1: every key masked");
        Assert.That(dq[..6].Concat(dq[24..]), Is.All.EqualTo(0f), "no gradient through rows that saw nothing");
        Assert.That(dKey.ToFloatArray()[24..].Concat(dValue.ToFloatArray()[24..]), Is.All.EqualTo(0f), "masked keys get no gradient");
        AssertClose(y, Reference(data).Output, 1e-5, "the visible rows still match the reference");
    }

    // The T5 table form of the bias (evaluated per score) against the same bias materialised by RelativePositionBias:
    // bidirectional, causal, and causal decoding at an offset over a cache; lengths past the exact buckets.
    [TestCase(true, 40, 40, 0, 0)]
    [TestCase(false, 37, 37, 0, 0)]
    [TestCase(false, 3, 60, 45, 48)]
    public void RelativeTableGivesTheMaterialisedBias(bool bidirectional, int queryLen, int capacity, int queryOffset, int keyLength)
    {
        var rng = NewRandom();
        var options = new AttentionOptions(2, 1f, Causal: !bidirectional, KeyLength: keyLength, QueryOffset: queryOffset);
        int keyLen = keyLength == 0 ? capacity : keyLength;
        using var query = Upload(_cpu, Values(rng, 2 * queryLen * 8), DType.F32, 2, queryLen, 8);
        using var key = Upload(_cpu, Values(rng, 2 * capacity * 8), DType.F32, 2, capacity, 8);
        using var value = Upload(_cpu, Values(rng, 2 * capacity * 8), DType.F32, 2, capacity, 8);
        using var table = Upload(_cpu, Values(rng, 32 * 2, 2f), DType.F32, 32, 2);
        using var dense = _cpu.Allocate(DType.F32, 2, queryLen, keyLen);
        _cpu.RelativePositionBias(dense, table, queryOffset, bidirectional, 128);
        using var expected = Poisoned(_cpu, DType.F32, 2, queryLen, 8);
        using var actual = Poisoned(_cpu, DType.F32, 2, queryLen, 8);
        using (_cpu.Attention(expected, query, key, value, null, dense, options))
        using (_cpu.Attention(actual, query, key, value, null, PositionBias.Relative(table, bidirectional, 128), options))
            Assert.That(actual.ToFloatArray(), Is.EqualTo(expected.ToFloatArray()), "the same bias, term for term");
    }

    [Test]
    public void GroupedQueryAttentionEqualsMultiHeadWithRepeatedKeyValueHeads()
    {
        // transformers' repeat_kv: key/value head g serves query heads g·group .. g·group + group − 1.
        var rng = NewRandom();
        const int batch = 2, length = 5, heads = 6, kvHeads = 2, dh = 4, group = heads / kvHeads;
        var q = Values(rng, batch * length * heads * dh);
        var k = Values(rng, batch * length * kvHeads * dh);
        var v = Values(rng, batch * length * kvHeads * dh);
        var repeatedK = Repeat(k);
        var repeatedV = Repeat(v);
        var probe = Values(rng, q.Length);
        using var mask = Upload(_cpu, [1, 1, 1, 1, 1, 0, 1, 1, 1, 1], batch, length);
        var results = new List<float[]>();
        foreach (var (keys, values, options) in new[]
        {
            (k, v, new AttentionOptions(heads, 0.5f, Causal: true, KeyValueHeads: kvHeads)),
            (repeatedK, repeatedV, new AttentionOptions(heads, 0.5f, Causal: true)),
        })
        {
            int keyWidth = keys.Length / (batch * length);
            using var tq = Upload(_cpu, q, DType.F32, batch, length, heads * dh);
            using var tk = Upload(_cpu, keys, DType.F32, batch, length, keyWidth);
            using var tv = Upload(_cpu, values, DType.F32, batch, length, keyWidth);
            using var output = Poisoned(_cpu, DType.F32, batch, length, heads * dh);
            using var dOutput = Upload(_cpu, probe, DType.F32, batch, length, heads * dh);
            using var dq = Poisoned(_cpu, DType.F32, batch, length, heads * dh);
            using var dk = Poisoned(_cpu, DType.F32, batch, length, keyWidth);
            using var dv = Poisoned(_cpu, DType.F32, batch, length, keyWidth);
            using var state = _cpu.Attention(output, tq, tk, tv, mask, null, options);
            _cpu.AttentionBackward(dq, dk, dv, dOutput, tq, tk, tv, state);
            results.Add(output.ToFloatArray());
            results.Add(dq.ToFloatArray());
            // the repeated heads' gradients summed over each group are the shared head's gradient
            results.Add(keyWidth == kvHeads * dh ? dk.ToFloatArray() : SumGroups(dk.ToFloatArray()));
            results.Add(keyWidth == kvHeads * dh ? dv.ToFloatArray() : SumGroups(dv.ToFloatArray()));
        }
        string[] names = ["output", "dQuery", "dKey", "dValue"];
        for (int i = 0; i < 4; i++)
            AssertClose(results[i], Array.ConvertAll(results[i + 4], x => (double)x), 1e-6, $"GQA vs repeated heads: {names[i]}");

        static float[] Repeat(float[] kv)
        {
            var result = new float[kv.Length * group];
            for (int row = 0; row < kv.Length / (kvHeads * dh); row++)
                for (int h = 0; h < heads; h++)
                    Array.Copy(kv, (row * kvHeads + h / group) * dh, result, (row * heads + h) * dh, dh);
            return result;
        }

        static float[] SumGroups(float[] full)
        {
            var result = new float[full.Length / group];
            for (int row = 0; row < full.Length / (heads * dh); row++)
                for (int h = 0; h < heads; h++)
                    for (int c = 0; c < dh; c++)
                        result[(row * kvHeads + h / group) * dh + c] += full[(row * heads + h) * dh + c];
            return result;
        }
    }

    [Test]
    public void KeyValueHeadsThatDoNotDivideTheQueryHeadsAreRefused()
    {
        using var q = _cpu.Allocate(DType.F32, 1, 2, 12);
        using var kv = _cpu.Allocate(DType.F32, 1, 2, 8);
        using var output = _cpu.Allocate(DType.F32, 1, 2, 12);
        Assert.That(() => _cpu.Attention(output, q, kv, kv, null, null, new AttentionOptions(3, KeyValueHeads: 2)),
            Throws.ArgumentException.With.Message.Contains("2 key/value heads do not divide 3 query heads"));
        Assert.That(() => _cpu.Attention(output, q, kv, kv, null, null, new AttentionOptions(6, KeyValueHeads: 3)),
            Throws.ArgumentException.With.Message.Contains("Hkv·dh=6"));
    }

    private static (double[] Output, double[] Probabilities) Reference(Data data)
    {
        var p = data.Problem;
        int tq = p.QueryLen, tk = p.KeyLen, dh = p.HeadDim, w = p.Width;
        var output = new double[p.Batch * tq * w];
        var probabilities = new double[p.Batch * p.Heads * tq * tk];
        var scores = new double[tk];
        for (int b = 0; b < p.Batch; b++)
            for (int h = 0; h < p.Heads; h++)
                for (int i = 0; i < tq; i++)
                {
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < tk; j++)
                    {
                        bool visible = (!p.Mask || data.KeyMask![b * p.MaskColumns + j] != 0) && (!p.Options.Causal || j <= i + p.Options.QueryOffset);
                        if (!visible)
                        {
                            scores[j] = double.NegativeInfinity;
                            continue;
                        }
                        double dot = 0;
                        for (int c = 0; c < dh; c++)
                            dot += (double)data.Query[(b * tq + i) * w + h * dh + c] * data.Key[(b * p.Capacity + j) * p.KeyWidth + h / p.Group * dh + c];
                        scores[j] = p.Options.Scale * dot + (p.Bias ? data.PositionBias![(h * tq + i) * p.BiasColumns + j] : 0);
                        max = Math.Max(max, scores[j]);
                    }
                    if (double.IsNegativeInfinity(max)) continue;
                    double sum = scores.Sum(s => Math.Exp(s - max));
                    for (int j = 0; j < tk; j++)
                    {
                        double pj = Math.Exp(scores[j] - max) / sum;
                        probabilities[((b * p.Heads + h) * tq + i) * tk + j] = pj;
                        for (int c = 0; c < dh; c++)
                            output[(b * tq + i) * w + h * dh + c] += pj * data.Value[(b * p.Capacity + j) * p.KeyWidth + h / p.Group * dh + c];
                    }
                }
        return (output, probabilities);
    }

    /// <summary>Random inputs of one problem; cache rows past KeyLength hold values too (they must be ignored).</summary>
    private sealed class Data
    {
        public required Problem Problem { get; init; }
        public required float[] Query { get; init; }
        public required float[] Key { get; init; }
        public required float[] Value { get; init; }
        public int[]? KeyMask { get; set; }
        public float[]? PositionBias { get; init; }

        public static Data Draw(Random rng, Problem p)
        {
            var data = new Data
            {
                Problem = p,
                Query = Values(rng, p.Batch * p.QueryLen * p.Width),
                Key = Values(rng, p.Batch * p.Capacity * p.KeyWidth),
                Value = Values(rng, p.Batch * p.Capacity * p.KeyWidth),
                PositionBias = p.Bias ? Values(rng, p.Heads * p.QueryLen * p.BiasColumns, 2f) : null,
            };
            if (p.Mask)
            {
                // About a quarter of the keys masked, but key 0 of every example kept so most rows see something.
                data.KeyMask = Enumerable.Range(0, p.Batch * p.MaskColumns).Select(i => i % p.MaskColumns == 0 || rng.Next(4) > 0 ? 1 : 0).ToArray();
            }
            return data;
        }

        public Tensors Upload(CpuBackend cpu, DType dtype)
        {
            var p = Problem;
            return new Tensors(
                OpTest.Upload(cpu, Query, dtype, p.Batch, p.QueryLen, p.Width),
                OpTest.Upload(cpu, Key, dtype, p.Batch, p.Capacity, p.KeyWidth),
                OpTest.Upload(cpu, Value, dtype, p.Batch, p.Capacity, p.KeyWidth),
                KeyMask is null ? null : OpTest.Upload(cpu, KeyMask, p.Batch, p.MaskColumns),
                PositionBias is null ? null : OpTest.Upload(cpu, PositionBias, DType.F32, p.Heads, p.QueryLen, p.BiasColumns));
        }
    }

    private sealed record Tensors(Tensor Query, Tensor Key, Tensor Value, Tensor? Mask, Tensor? Bias) : IDisposable
    {
        public void Dispose()
        {
            Query.Dispose();
            Key.Dispose();
            Value.Dispose();
            Mask?.Dispose();
            Bias?.Dispose();
        }
    }
}
