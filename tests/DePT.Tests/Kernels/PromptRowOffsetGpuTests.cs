using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Diagnostics;
using DePT.Tensors;
using DePT.Tests.Support;

namespace DePT.Tests.Kernels;

/// <summary>
/// The CUDA DePT input with per-example row offsets (left padding) against the CPU, forward (A·B, precomputed Δ, rank 0;
/// one prompt or several; vector and scalar paths) and backward, and a bad offset reported at synchronisation.
/// </summary>
public class PromptRowOffsetGpuTests : GpuFixture
{
    private readonly CpuBackend _cpu = new();

    public enum Addend { LowRank, Delta, None }

    public sealed record Case(string Name, int Batch, int Length, int PromptLen, int Dim, int Rank, int MaxLen, int Vocab, int Prompts)
    {
        public override string ToString() => Name;
    }

    private static readonly Case[] Shapes =
    [
        new("vector", 5, 13, 4, 64, 3, 16, 50, 1),
        new("scalar-d", 3, 9, 2, 37, 2, 12, 40, 1),
        new("prompts", 6, 11, 3, 32, 4, 11, 30, 3),
        new("wide", 9, 33, 10, 1024, 8, 40, 300, 2),
    ];

    public static IEnumerable<TestCaseData> ForwardCases()
    {
        foreach (var c in Shapes)
            foreach (var addend in Enum.GetValues<Addend>())
                foreach (var dtype in new[] { DType.F32, DType.BF16 })
                    yield return new TestCaseData(c, addend, dtype).SetArgDisplayNames($"{c} {addend} {dtype}");
    }

    [TestCaseSource(nameof(ForwardCases))]
    public void ForwardMatchesCpu(Case c, Addend addend, DType dtype)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var data = Data.Draw(rng, c);
        var results = new List<float[]>();
        foreach (IBackend backend in new IBackend[] { _cpu, Gpu })
        {
            using var t = data.Upload(backend, dtype);
            using var delta = addend == Addend.Delta ? backend.Allocate(DType.F32, c.Prompts, c.MaxLen, c.Dim) : null;
            if (delta is not null) backend.LowRankDelta(delta, t.A, t.B, 1.5f);
            var parameters = addend switch
            {
                Addend.LowRank => PromptParameters.Decomposed(t.Prompt, t.A, t.B, 1.5f),
                Addend.Delta => PromptParameters.WithDelta(t.Prompt, delta!),
                _ => PromptParameters.Vanilla(t.Prompt),
            };
            using var output = backend.Allocate(dtype, c.Batch, c.PromptLen + c.Length, c.Dim);
            output.FillBytes(0xFF);
            backend.PromptInputForward(output, t.Ids, t.Embeddings, parameters, t.PromptIndex, 1f, t.Offsets);
            backend.Synchronize();
            results.Add(output.ToFloatArray());
        }
        double bound = dtype == DType.BF16 ? 1e-2 : 1e-5;
        Assert.That(ErrorMetrics.Relative(results[1], results[0]), Is.LessThan(bound), ErrorMetrics.FirstMismatches(results[1], results[0], bound));
    }

    public static IEnumerable<TestCaseData> BackwardCases()
    {
        foreach (var c in Shapes)
            foreach (var dtype in new[] { DType.F32, DType.BF16 })
                yield return new TestCaseData(c, dtype).SetArgDisplayNames($"{c} dInput={dtype}");
    }

    [TestCaseSource(nameof(BackwardCases))]
    public void BackwardMatchesCpu(Case c, DType dtype)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var data = Data.Draw(rng, c);
        var dInput = Values(rng, c.Batch * (c.PromptLen + c.Length) * c.Dim);
        var results = new List<float[][]>();
        foreach (IBackend backend in new IBackend[] { _cpu, Gpu })
        {
            using var t = data.Upload(backend, DType.F32);
            using var g = backend.Allocate(dtype, c.Batch, c.PromptLen + c.Length, c.Dim);
            g.CopyFrom(dtype == DType.BF16 ? Array.ConvertAll(dInput, v => Numerics.BFloat16.ToSingle(Numerics.BFloat16.FromSingle(v))) : dInput);
            using var dPrompt = backend.Allocate(DType.F32, c.Prompts, c.PromptLen, c.Dim);
            using var dA = backend.Allocate(DType.F32, c.Prompts, c.MaxLen, c.Rank);
            using var dB = backend.Allocate(DType.F32, c.Prompts, c.Rank, c.Dim);
            foreach (var gradient in new[] { dPrompt, dA, dB }) backend.Fill(gradient, 0.25f);
            backend.PromptInputBackward(new PromptGradients(dPrompt, dA, dB), g, PromptParameters.Decomposed(t.Prompt, t.A, t.B, 1.5f), t.PromptIndex, t.Offsets);
            backend.Synchronize();
            results.Add([dPrompt.ToFloatArray(), dA.ToFloatArray(), dB.ToFloatArray()]);
        }
        string[] names = ["dPrompt", "dA", "dB"];
        for (int i = 0; i < 3; i++)
            Assert.That(ErrorMetrics.Relative(results[1][i], results[0][i]), Is.LessThan(1e-5), $"{names[i]}: {ErrorMetrics.FirstMismatches(results[1][i], results[0][i], 1e-5)}");
    }

    [Test]
    public void AnOffsetPastTheInputIsReportedAtSynchronisation()
    {
        var c = Shapes[0];
        var data = Data.Draw(new Random(1), c);
        data.Offsets[2] = c.Length + 1;
        using var t = data.Upload(Gpu, DType.F32);
        using var output = Gpu.Allocate(DType.F32, c.Batch, c.PromptLen + c.Length, c.Dim);
        Gpu.PromptInputForward(output, t.Ids, t.Embeddings, PromptParameters.Decomposed(t.Prompt, t.A, t.B, 1f), null, 1f, t.Offsets);
        Assert.That(() => Gpu.Synchronize(), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains($"Row offset {c.Length + 1} of example 2"));
    }

    private static float[] Values(Random rng, long count)
    {
        var v = new float[count];
        for (long i = 0; i < count; i++) v[i] = (rng.Next(2) == 0 ? -1 : 1) * (0.05f + 0.95f * rng.NextSingle());
        return v;
    }

    private sealed class Data
    {
        public required Case Case { get; init; }
        public required float[] Embeddings, Prompt, A, B;
        public required int[] Ids, Offsets;
        public int[]? PromptIndex;

        /// <summary>Left-padded ids (pad id 0) with offsets = pad counts, one example with none and one of length 1.</summary>
        public static Data Draw(Random rng, Case c)
        {
            var offsets = Enumerable.Range(0, c.Batch).Select(b => b == 0 ? 0 : b == 1 ? c.Length - 1 : rng.Next(c.Length)).ToArray();
            var ids = new int[c.Batch * c.Length];
            for (int b = 0; b < c.Batch; b++)
                for (int i = offsets[b]; i < c.Length; i++)
                    ids[b * c.Length + i] = rng.Next(1, c.Vocab);
            return new Data
            {
                Case = c,
                Embeddings = Values(rng, (long)c.Vocab * c.Dim),
                Prompt = Values(rng, (long)c.Prompts * c.PromptLen * c.Dim),
                A = Values(rng, (long)c.Prompts * c.MaxLen * c.Rank),
                B = Values(rng, (long)c.Prompts * c.Rank * c.Dim),
                Ids = ids,
                Offsets = offsets,
                PromptIndex = c.Prompts > 1 ? Enumerable.Range(0, c.Batch).Select(b => (b / 2) % c.Prompts).ToArray() : null,
            };
        }

        public Tensors Upload(IBackend backend, DType embeddingType)
        {
            var c = Case;
            var result = new Tensors(
                Make(backend, embeddingType, Embeddings, c.Vocab, c.Dim),
                Make(backend, DType.F32, Prompt, c.Prompts, c.PromptLen, c.Dim),
                Make(backend, DType.F32, A, c.Prompts, c.MaxLen, c.Rank),
                Make(backend, DType.F32, B, c.Prompts, c.Rank, c.Dim),
                MakeInts(backend, Ids, c.Batch, c.Length),
                MakeInts(backend, Offsets, c.Batch),
                PromptIndex is null ? null : MakeInts(backend, PromptIndex, c.Batch));
            return result;
        }

        private static Tensor Make(IBackend backend, DType dtype, float[] values, params int[] shape)
        {
            var t = backend.Allocate(dtype, shape);
            t.CopyFrom(values);
            return t;
        }

        private static Tensor MakeInts(IBackend backend, int[] values, params int[] shape)
        {
            var t = backend.Allocate(DType.I32, shape);
            t.CopyFrom(values);
            return t;
        }
    }

    private sealed record Tensors(Tensor Embeddings, Tensor Prompt, Tensor A, Tensor B, Tensor Ids, Tensor Offsets, Tensor? PromptIndex) : IDisposable
    {
        public void Dispose()
        {
            foreach (var t in new[] { Embeddings, Prompt, A, B, Ids, Offsets, PromptIndex }) t?.Dispose();
        }
    }
}
