using DePT.Tensors;
using static DePT.Tensors.DType;

namespace DePT.Tests.OpsGpu;

/// <summary>Embedding gathers, BERT's position and token-type terms and T5's relative position bias; bad ids reach the error word.</summary>
public class EmbeddingGpuTests : OpsGpuTest
{
    public static IEnumerable<TestCaseData> LookupCases()
    {
        foreach (var (batch, seqLen, vocab, dim) in new[] { (1, 1, 5, 1), (2, 5, 11, 8), (3, 7, 50, 33), (4, 16, 300, 770) })
            foreach (var (table, output) in new[] { (F32, F32), (BF16, BF16), (BF16, F32), (F32, BF16) })
                yield return new TestCaseData(batch, seqLen, vocab, dim, table, output).SetArgDisplayNames($"B={batch} T={seqLen} V={vocab} d={dim} {table}->{output}");
    }

    [TestCaseSource(nameof(LookupCases))]
    public void EmbeddingLookupMatchesCpu(int batch, int seqLen, int vocab, int dim, DType tableType, DType outputType)
    {
        var ids = Ints(RandomIds(batch * seqLen, vocab), batch, seqLen);
        var table = Input(Values((long)vocab * dim), tableType, vocab, dim);
        float scale = MathF.Sqrt(dim) * (0.5f + Rng.NextSingle());
        var output = Poisoned(outputType, batch, seqLen, dim);
        Both((be, g) => be.EmbeddingLookup(output.On(g), ids.On(g), table.On(g), scale));
        AssertClose(output, "table[ids] · scale");
    }

    [Test]
    public void TokenIdOutsideTheTableIsRaisedAtSynchronize()
    {
        using var ids = Gpu.Allocate(I32, 2, 3);
        using var table = Gpu.Allocate(F32, 13, 8);
        using var output = Gpu.Allocate(F32, 2, 3, 8);
        ids.CopyFrom([1, 2, 3, 4, 13, 5]);
        table.CopyFrom(Values(13 * 8));
        Gpu.EmbeddingLookup(output, ids, table, 1f);
        var e = Assert.Throws<ArgumentOutOfRangeException>(Gpu.Synchronize);
        Assert.That(e!.Message, Does.Contain("13").And.Contain("[0, 13)"));
        // the error word is cleared once raised, and the bad row was written as zeros
        Gpu.Synchronize();
        Assert.That(output.ToFloatArray().AsSpan(4 * 8, 8).ToArray(), Is.All.EqualTo(0f));
    }

    public static IEnumerable<TestCaseData> PositionCases()
    {
        foreach (var (batch, seqLen, dim, positions, types) in new[] { (1, 1, 1, 1, 1), (2, 5, 8, 7, 2), (3, 33, 384, 512, 2), (2, 9, 37, 9, 3) })
            foreach (var (x, tables) in new[] { (F32, F32), (BF16, BF16), (F32, BF16), (BF16, F32) })
                foreach (bool withTypeIds in new[] { true, false })
                    yield return new TestCaseData(batch, seqLen, dim, positions, types, x, tables, withTypeIds)
                        .SetArgDisplayNames($"B={batch} T={seqLen} d={dim} P={positions} types={types} x={x} tables={tables}{(withTypeIds ? "" : " no type ids")}");
    }

    [TestCaseSource(nameof(PositionCases))]
    public void AddPositionEmbeddingsMatchesCpu(int batch, int seqLen, int dim, int positionRows, int types, DType xType, DType tableType, bool withTypeIds)
    {
        var x = Input(Values((long)batch * seqLen * dim), xType, batch, seqLen, dim);
        var positions = Input(Values((long)positionRows * dim), tableType, positionRows, dim);
        var tokenTypes = Input(Values((long)types * dim), tableType, types, dim);
        Pair? typeIds = withTypeIds ? Ints(RandomIds(batch * seqLen, types), batch, seqLen) : null;
        Both((be, g) => be.AddPositionEmbeddings(x.On(g), positions.On(g), tokenTypes.On(g), typeIds?.On(g)));
        AssertClose(x, "x + positions + token types");
    }

    [Test]
    public void TokenTypeOutsideTheTableIsRaisedAtSynchronize()
    {
        using var x = Gpu.Allocate(F32, 1, 3, 8);
        using var positions = Gpu.Allocate(F32, 4, 8);
        using var tokenTypes = Gpu.Allocate(F32, 2, 8);
        using var typeIds = Gpu.Allocate(I32, 1, 3);
        x.CopyFrom(Values(24));
        positions.CopyFrom(Values(32));
        tokenTypes.CopyFrom(Values(16));
        typeIds.CopyFrom([0, 7, 1]);
        Gpu.AddPositionEmbeddings(x, positions, tokenTypes, typeIds);
        var e = Assert.Catch(Gpu.Synchronize);
        Assert.That(e!.Message, Does.Contain("7"));
    }

    public static IEnumerable<TestCaseData> BiasCases()
    {
        // (H, Tq, Tk, buckets, max distance, bidirectional, query offset): T5's encoder and decoder, a decoding
        // step far into the cache, keys past max distance, and few buckets
        foreach (var c in new[] { (3, 7, 150, 32, 128, true, 0), (4, 5, 300, 32, 128, false, 0), (2, 1, 257, 32, 128, false, 256), (3, 20, 20, 8, 20, true, 0), (2, 9, 40, 16, 64, false, 3) })
            foreach (var table in new[] { F32, BF16 })
                yield return new TestCaseData(c.Item1, c.Item2, c.Item3, c.Item4, c.Item5, c.Item6, c.Item7, table)
                    .SetArgDisplayNames($"H={c.Item1} Tq={c.Item2} Tk={c.Item3} buckets={c.Item4} max={c.Item5} {(c.Item6 ? "bidirectional" : "causal")} offset={c.Item7} {table}");
    }

    [TestCaseSource(nameof(BiasCases))]
    public void RelativePositionBiasPicksTheCpuBuckets(int heads, int queryLen, int keyLen, int buckets, int maxDistance, bool bidirectional, int offset, DType tableType)
    {
        var table = Input(Values((long)buckets * heads), tableType, buckets, heads);
        var bias = Poisoned(F32, heads, queryLen, keyLen);
        Both((be, g) => be.RelativePositionBias(bias.On(g), table.On(g), offset, bidirectional, maxDistance));
        Gpu.Synchronize();
        // every entry is a table value: equal bucket choices give equal tensors
        Assert.That(bias.Gpu.ToFloatArray(), Is.EqualTo(bias.Cpu.ToFloatArray()));
    }

    private int[] RandomIds(int count, int limit)
    {
        var ids = new int[count];
        for (int i = 0; i < count; i++) ids[i] = Rng.Next(limit);
        return ids;
    }
}
