using DePT.Backends.Cpu;
using DePT.Tensors;
using static DePT.Tests.Ops.OpTest;

namespace DePT.Tests.Ops;

/// <summary>Token lookup, BERT's position and type embeddings, and T5's relative position buckets worked out by hand.</summary>
public class EmbeddingOpTests
{
    private readonly CpuBackend _cpu = new();

    [TestCase(1, 1, 1, 3, DType.F32)]
    [TestCase(3, 7, 33, 50, DType.F32)]
    [TestCase(2, 65, 384, 1000, DType.BF16)]
    public void LookupGathersScaledRows(int b, int t, int d, int vocab, DType dtype)
    {
        var rng = NewRandom();
        var table = Values(rng, vocab * d);
        var ids = Enumerable.Range(0, b * t).Select(_ => rng.Next(vocab)).ToArray();
        using var tableTensor = Upload(_cpu, table, dtype, vocab, d);
        using var idTensor = Upload(_cpu, ids, b, t);
        using var output = Poisoned(_cpu, dtype, b, t, d);
        _cpu.EmbeddingLookup(output, idTensor, tableTensor, 1.5f);
        var stored = AsStored(table, dtype);
        var expected = new double[b * t * d];
        for (int i = 0; i < b * t; i++)
            for (int j = 0; j < d; j++) expected[i * d + j] = stored[ids[i] * d + j] * 1.5;
        AssertClose(output.ToFloatArray(), expected, dtype == DType.F32 ? 1e-7 : 1e-2, $"lookup {tableTensor.ShapeText}[{idTensor.ShapeText}]");
    }

    [TestCase(-1)]
    [TestCase(50)]
    public void LookupNamesAnIdOutsideTheVocabulary(int badId)
    {
        var rng = NewRandom();
        using var table = Upload(_cpu, Values(rng, 50 * 4), DType.F32, 50, 4);
        var ids = Enumerable.Range(0, 6).Select(_ => rng.Next(50)).ToArray();
        ids[4] = badId;
        using var idTensor = Upload(_cpu, ids, 2, 3);
        using var output = Poisoned(_cpu, DType.F32, 2, 3, 4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _cpu.EmbeddingLookup(output, idTensor, table, 1f));
        Assert.That(e!.Message, Does.Contain($"token id {badId}").And.Contain("[1, 1]").And.Contain("[0, 50)"));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void PositionAndTypeEmbeddingsAreAdded(bool withTypes)
    {
        var rng = NewRandom();
        const int b = 3, t = 9, d = 17, maxPositions = 12, types = 2;
        var x = Values(rng, b * t * d);
        var positions = Values(rng, maxPositions * d);
        var typeTable = Values(rng, types * d);
        var typeIds = Enumerable.Range(0, b * t).Select(_ => rng.Next(types)).ToArray();
        using var xt = Upload(_cpu, x, DType.F32, b, t, d);
        using var pt = Upload(_cpu, positions, DType.F32, maxPositions, d);
        using var tt = Upload(_cpu, typeTable, DType.F32, types, d);
        using var ids = Upload(_cpu, typeIds, b, t);
        _cpu.AddPositionEmbeddings(xt, pt, tt, withTypes ? ids : null);
        var expected = new double[x.Length];
        for (int i = 0; i < b * t; i++)
            for (int j = 0; j < d; j++)
                expected[i * d + j] = (double)x[i * d + j] + positions[i % t * d + j] + typeTable[(withTypes ? typeIds[i] : 0) * d + j];
        AssertClose(xt.ToFloatArray(), expected, 1e-7, $"x {xt.ShapeText} + positions + types");
    }

    [Test]
    public void TokenTypeOutsideTheTableIsNamed()
    {
        var rng = NewRandom();
        using var x = Upload(_cpu, Values(rng, 2 * 3 * 4), DType.F32, 2, 3, 4);
        using var positions = Upload(_cpu, Values(rng, 5 * 4), DType.F32, 5, 4);
        using var types = Upload(_cpu, Values(rng, 2 * 4), DType.F32, 2, 4);
        using var ids = Upload(_cpu, new[] { 0, 1, 0, 1, 2, 0 }, 2, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _cpu.AddPositionEmbeddings(x, positions, types, ids));
        Assert.That(e!.Message, Does.Contain("token type id 2").And.Contain("[1, 1]"));
    }

    // Hand-worked from transformers' formula: n buckets per direction (32/2 = 16 bidirectional, 32 causal),
    // max_exact = n/2, and past it max_exact + ⌊ln(distance/max_exact) / ln(128/max_exact) · (n − max_exact)⌋,
    // clamped to n − 1. Bidirectional, n = 16: ln(12/8)/ln 16·8 = 1.17 → 9; 16 → exactly 2 → 10; 22 → 2.92 → 10;
    // 23 → 3.05 → 11; 32 → 4 → 12; 64 → 6 → 14; 90 → 6.98 → 14; 91 → 7.02 → 15. Keys after the query add 16.
    [TestCase(0, true, 0)]
    [TestCase(-1, true, 1)]
    [TestCase(1, true, 17)]
    [TestCase(-7, true, 7)]
    [TestCase(7, true, 23)]
    [TestCase(-8, true, 8)]
    [TestCase(-11, true, 8)]
    [TestCase(-12, true, 9)]
    [TestCase(12, true, 25)]
    [TestCase(-16, true, 10)]
    [TestCase(-22, true, 10)]
    [TestCase(-23, true, 11)]
    [TestCase(32, true, 28)]
    [TestCase(-64, true, 14)]
    [TestCase(-90, true, 14)]
    [TestCase(-91, true, 15)]
    [TestCase(128, true, 31)]
    [TestCase(-1000, true, 15)]
    // Causal, n = 32, max_exact = 16, ln 8 in the divisor: keys ahead all share bucket 0 (they are masked anyway).
    [TestCase(3, false, 0)]
    [TestCase(0, false, 0)]
    [TestCase(-5, false, 5)]
    [TestCase(-15, false, 15)]
    [TestCase(-16, false, 16)]
    [TestCase(-20, false, 17)]
    [TestCase(-32, false, 21)]
    [TestCase(-45, false, 23)]
    [TestCase(-46, false, 24)]
    [TestCase(-64, false, 26)]
    [TestCase(-127, false, 31)]
    [TestCase(-500, false, 31)]
    public void T5BucketsFor32BucketsAndDistance128(int relative, bool bidirectional, int bucket)
    {
        Assert.That(CpuBackend.RelativePositionBucket(relative, bidirectional, 32, 128), Is.EqualTo(bucket));
    }

    // The reference fixtures' configuration: 8 buckets, max distance 16 (bidirectional n = 4, max_exact = 2).
    [TestCase(-1, 1)]
    [TestCase(-2, 2)]
    [TestCase(-5, 2)]
    [TestCase(-6, 3)]
    [TestCase(6, 7)]
    [TestCase(-40, 3)]
    public void T5BucketsForTheFixtureConfiguration(int relative, int bucket)
    {
        Assert.That(CpuBackend.RelativePositionBucket(relative, true, 8, 16), Is.EqualTo(bucket));
    }

    [TestCase(true, 0)]
    [TestCase(false, 0)]
    [TestCase(false, 5)]
    public void BiasReadsTheTableAtEachBucket(bool bidirectional, int queryOffset)
    {
        var rng = NewRandom();
        const int heads = 3, buckets = 32, tq = 4, tk = 150;
        var table = Values(rng, buckets * heads);
        using var tableTensor = Upload(_cpu, table, DType.F32, buckets, heads);
        using var bias = Poisoned(_cpu, DType.F32, heads, tq, tk);
        _cpu.RelativePositionBias(bias, tableTensor, queryOffset, bidirectional, 128);
        var expected = new double[heads * tq * tk];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < tq; i++)
                for (int j = 0; j < tk; j++)
                    expected[(h * tq + i) * tk + j] = table[CpuBackend.RelativePositionBucket(j - (i + queryOffset), bidirectional, buckets, 128) * heads + h];
        Assert.That(bias.ToFloatArray(), Is.EqualTo(expected.Select(v => (float)v).ToArray()));
        // Spot checks that do not go through the bucket function: the diagonal is bucket 0 and far keys the last bucket.
        var values = bias.ToFloatArray();
        Assert.That(values[(1 * tq + 2) * tk + 2 + queryOffset], Is.EqualTo(table[0 * heads + 1]));
        Assert.That(values[(2 * tq + 0) * tk + tk - 1], Is.EqualTo(table[(bidirectional ? 31 : 0) * heads + 2]));
    }
}
