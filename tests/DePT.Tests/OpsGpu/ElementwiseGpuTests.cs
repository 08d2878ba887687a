using DePT.Tensors;
using static DePT.Tensors.DType;

namespace DePT.Tests.OpsGpu;

/// <summary>Add, Scale, Copy, Fill, dropout (the CPU's mask, bit for bit) and the KV-cache write.</summary>
public class ElementwiseGpuTests : OpsGpuTest
{
    private static readonly int[][] Shapes = [[1], [7], [9], [3, 37], [2, 3, 1000]];

    public static IEnumerable<TestCaseData> AddCases()
    {
        foreach (var shape in Shapes)
            foreach (var (output, a, b) in new[] { (F32, F32, F32), (BF16, BF16, BF16), (BF16, F32, BF16), (F32, BF16, F32) })
                yield return new TestCaseData(shape, output, a, b).SetArgDisplayNames($"[{string.Join(",", shape)}] {output}={a}+{b}");
    }

    public static IEnumerable<TestCaseData> UnaryCases()
    {
        foreach (var shape in Shapes)
            foreach (var (output, input) in new[] { (F32, F32), (BF16, BF16), (BF16, F32), (F32, BF16) })
                yield return new TestCaseData(shape, output, input).SetArgDisplayNames($"[{string.Join(",", shape)}] {input}->{output}");
    }

    [TestCaseSource(nameof(AddCases))]
    public void AddMatchesCpu(int[] shape, DType outputType, DType aType, DType bType)
    {
        var a = Input(Values(Count(shape)), aType, shape);
        var b = Input(Values(Count(shape)), bType, shape);
        var sum = Poisoned(outputType, shape);
        Both((be, g) => be.Add(sum.On(g), a.On(g), b.On(g)));
        AssertClose(sum, "a + b");

        if (outputType != aType) return;
        Both((be, g) => be.Add(a.On(g), a.On(g), b.On(g)));   // in place: a += b
        AssertClose(a, "a += b");
    }

    [TestCaseSource(nameof(UnaryCases))]
    public void ScaleAndCopyMatchCpu(int[] shape, DType outputType, DType inputType)
    {
        var x = Input(Values(Count(shape)), inputType, shape);
        float factor = 0.5f + Rng.NextSingle();
        var scaled = Poisoned(outputType, shape);
        Both((be, g) => be.Scale(scaled.On(g), x.On(g), factor));
        AssertClose(scaled, $"x · {factor}");

        var copy = Poisoned(outputType, [(int)Count(shape)]);   // same count, other shape
        Both((be, g) => be.Copy(copy.On(g), x.On(g)));
        Gpu.Synchronize();
        // a conversion rounds once (to bf16) or not at all: the CPU's f32 copy rounded the same way is exact
        Assert.That(copy.Gpu.ToFloatArray(), Is.EqualTo(Rounded(copy.Cpu.ToFloatArray(), outputType)), "Copy");

        if (outputType != inputType) return;
        Both((be, g) => be.Scale(x.On(g), x.On(g), factor));   // in place
        AssertClose(x, "x ·= factor");
    }

    [TestCase(F32)]
    [TestCase(BF16)]
    public void FillWritesEveryElement(DType dtype)
    {
        float value = Values(1)[0];
        var filled = Poisoned(dtype, 3, 37);
        Both((be, g) => be.Fill(filled.On(g), value));
        Gpu.Synchronize();
        Assert.That(filled.Gpu.ToFloatArray(), Is.All.EqualTo(Rounded([value], dtype)[0]));
    }

    [TestCaseSource(nameof(UnaryCases))]
    public void DropoutUsesTheCpuMask(int[] shape, DType outputType, DType inputType)
    {
        foreach (float rate in new[] { 0f, 0.1f, 0.5f })
        {
            ulong seed = (ulong)Rng.NextInt64(), stream = (ulong)Rng.Next(1000);
            var x = Input(Values(Count(shape)), inputType, shape);
            var y = Poisoned(outputType, shape);
            Both((be, g) => be.Dropout(y.On(g), x.On(g), rate, seed, stream));
            Gpu.Synchronize();
            var gpu = y.Gpu.ToFloatArray();
            var cpu = Rounded(y.Cpu.ToFloatArray(), outputType);
            // the same mask, and x·(1/(1 − rate)) in fp32 on both sides: equal after the output's rounding
            Assert.That(gpu, Is.EqualTo(cpu), $"dropout rate {rate}, seed {seed}, stream {stream}");

            var dy = Input(Values(Count(shape)), inputType, shape);
            var dx = Poisoned(outputType, shape);
            Both((be, g) => be.DropoutBackward(dx.On(g), dy.On(g), rate, seed, stream));
            Gpu.Synchronize();
            Assert.That(dx.Gpu.ToFloatArray(), Is.EqualTo(Rounded(dx.Cpu.ToFloatArray(), outputType)), $"dropout backward rate {rate}");
        }
    }

    [Test]
    public void DropoutKeepsAboutOneMinusRateAndDependsOnTheStream()
    {
        const int count = 1 << 16;
        const float rate = 0.3f;
        using var x = Gpu.Allocate(F32, count);
        using var first = Gpu.Allocate(F32, count);
        using var second = Gpu.Allocate(F32, count);
        x.CopyFrom(Values(count));
        Gpu.Dropout(first, x, rate, seed: 11, stream: 1);
        Gpu.Dropout(second, x, rate, seed: 11, stream: 2);
        var a = first.ToFloatArray();
        var b = second.ToFloatArray();
        double kept = a.Count(v => v != 0) / (double)count;
        double sigma = Math.Sqrt(rate * (1 - rate) / count);
        Assert.That(kept, Is.EqualTo(1 - rate).Within(5 * sigma), "kept fraction");
        Assert.That(a.Zip(b).Count(p => (p.First == 0) != (p.Second == 0)), Is.GreaterThan(count / 10), "another stream, another mask");
    }

    [TestCase(F32, F32)]
    [TestCase(BF16, BF16)]
    [TestCase(BF16, F32)]
    [TestCase(F32, BF16)]
    public void WriteRowsMatchesCpu(DType cacheType, DType rowsType)
    {
        foreach (var (batch, capacity, count, position, dim) in new[] { (2, 7, 3, 4, 5), (3, 16, 1, 9, 64), (1, 5, 5, 0, 8), (2, 12, 4, 0, 33) })
        {
            var cache = Input(Values((long)batch * capacity * dim), cacheType, batch, capacity, dim);
            var rows = Input(Values((long)batch * count * dim), rowsType, batch, count, dim);
            Both((be, g) => be.WriteRows(cache.On(g), rows.On(g), position));
            Gpu.Synchronize();
            Assert.That(cache.Gpu.ToFloatArray(), Is.EqualTo(Rounded(cache.Cpu.ToFloatArray(), cacheType)),
                $"cache (B={batch}, Tcap={capacity}, d={dim}) rows {position}..{position + count - 1}");
        }
    }

    [TestCase(F32, F32)]
    [TestCase(BF16, BF16)]
    [TestCase(BF16, F32)]
    [TestCase(F32, BF16)]
    public void ReadRowsMatchesCpu(DType cacheType, DType rowsType)
    {
        foreach (var (batch, capacity, count, position, dim) in new[] { (2, 7, 3, 4, 5), (3, 16, 1, 15, 64), (1, 5, 5, 0, 8), (8, 600, 1, 599, 4096) })
        {
            var cache = Input(Values((long)batch * capacity * dim), cacheType, batch, capacity, dim);
            var rows = Poisoned(rowsType, batch, count, dim);
            Both((be, g) => be.ReadRows(rows.On(g), cache.On(g), position));
            Gpu.Synchronize();
            Assert.That(rows.Gpu.ToFloatArray(), Is.EqualTo(Rounded(rows.Cpu.ToFloatArray(), rowsType)),
                $"rows {position}..{position + count - 1} of a cache (B={batch}, Tcap={capacity}, d={dim})");
        }
    }

    [TestCase(F32, F32)]
    [TestCase(BF16, BF16)]
    [TestCase(F32, BF16)]
    public void GatherRowsAndItsBackwardMatchCpu(DType inputType, DType outputType)
    {
        foreach (var (rows, dim, picked) in new[] { (9, 5, new[] { 7, 0, 4 }), (600, 4096, Enumerable.Range(0, 64).Select(i => 599 - 9 * i).ToArray()), (5, 33, new[] { 4, 3, 2, 1, 0 }) })
        {
            var input = Input(Values((long)rows * dim), inputType, rows, dim);
            var indices = Ints(picked, picked.Length);
            var output = Poisoned(outputType, picked.Length, dim);
            Both((be, g) => be.GatherRows(output.On(g), input.On(g), indices.On(g)));
            AssertClose(output, $"gather {picked.Length} of {rows} rows of {dim}");

            var dOutput = Input(Values((long)picked.Length * dim), outputType, picked.Length, dim);
            var dInput = Poisoned(inputType, rows, dim);
            Both((be, g) => be.GatherRowsBackward(dInput.On(g), dOutput.On(g), indices.On(g)));
            AssertClose(dInput, $"gather backward {picked.Length} of {rows} rows of {dim} (others zero)");
        }
    }
}
