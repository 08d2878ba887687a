using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Diagnostics;
using DePT.Tensors;
using DePT.Tests.Support;

namespace DePT.Tests.Kernels;

/// <summary>The CUDA DePT input kernels against the CPU backend, forward and backward, on fresh random inputs.</summary>
public class PromptInputGpuTests : GpuFixture
{
    private readonly CpuBackend _cpu = new();

    private static IEnumerable<TestCaseData> ForwardCases()
    {
        foreach (var c in PromptInputCases.All())
            foreach (var (output, embeddings) in new[] { (DType.F32, DType.F32), (DType.F32, DType.BF16), (DType.BF16, DType.F32), (DType.BF16, DType.BF16) })
                yield return new TestCaseData(c.Arguments[0], output, embeddings)
                    .SetArgDisplayNames($"{c.Arguments[0]} out={output} emb={embeddings}");
    }

    [TestCaseSource(nameof(ForwardCases))]
    public void ForwardMatchesCpu(PromptInputProblem problem, DType output, DType embeddings)
    {
        var data = problem.Generate(TestContext.CurrentContext.Random.Next(), embeddings);
        var expected = PromptInputCheck.RunForward(_cpu, data, DType.F32, DType.F32);
        var actual = PromptInputCheck.RunForward(Gpu, data, output, embeddings);
        double bound = output == DType.BF16 ? 1e-2 : 1e-5;
        Assert.That(ErrorMetrics.Relative(actual, expected), Is.LessThan(bound), ErrorMetrics.FirstMismatches(actual, expected, bound));
    }

    [TestCaseSource(typeof(PromptInputCases), nameof(PromptInputCases.All))]
    public void PrecomputedDeltaMatchesCpu(PromptInputProblem problem)
    {
        if (problem.Rank == 0) Assert.Ignore("Rank 0 has no low-rank delta.");
        var data = problem.Generate(TestContext.CurrentContext.Random.Next());
        var results = new List<(float[] Delta, float[] Output)>();
        foreach (IBackend backend in new IBackend[] { _cpu, Gpu })
        {
            using var t = data.Upload(backend, DType.F32, DType.F32);
            using var delta = backend.Allocate(DType.F32, problem.NumPrompts, problem.MaxLen, problem.Dim);
            using var output = backend.Allocate(DType.F32, problem.Batch, problem.TotalLen, problem.Dim);
            delta.FillBytes(0xFF);
            output.FillBytes(0xFF);
            backend.LowRankDelta(delta, t.LowRankA!, t.LowRankB!, problem.LowRankScale);
            backend.PromptInputForward(output, t.TokenIds, t.Embeddings, PromptParameters.WithDelta(t.Prompt, delta), t.PromptIndex, 1f);
            backend.Synchronize();
            results.Add((delta.ToFloatArray(), output.ToFloatArray()));
        }
        Assert.That(ErrorMetrics.Relative(results[1].Delta, results[0].Delta), Is.LessThan(1e-5), "delta");
        Assert.That(ErrorMetrics.Relative(results[1].Output, results[0].Output), Is.LessThan(1e-5), "output");
    }

    private static IEnumerable<TestCaseData> BackwardCases()
    {
        foreach (var c in PromptInputCases.All())
            foreach (var dtype in new[] { DType.F32, DType.BF16 })
                yield return new TestCaseData(c.Arguments[0], dtype).SetArgDisplayNames($"{c.Arguments[0]} dInput={dtype}");
    }

    [TestCaseSource(nameof(BackwardCases))]
    public void BackwardMatchesCpu(PromptInputProblem problem, DType gradientType)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var data = problem.Generate(rng.Next());
        if (gradientType == DType.BF16) PromptInputProblem.RoundToBFloat16(data.DInput);
        var start = new[]
        {
            Random(rng, problem.NumPrompts * problem.PromptLen * problem.Dim),
            Random(rng, problem.NumPrompts * problem.MaxLen * problem.Rank),
            Random(rng, problem.NumPrompts * problem.Rank * problem.Dim),
        };
        var results = new List<float[][]>();
        foreach (IBackend backend in new IBackend[] { _cpu, Gpu })
        {
            using var t = data.Upload(backend, DType.F32, gradientType);
            using var dPrompt = backend.Allocate(DType.F32, problem.NumPrompts, problem.PromptLen, problem.Dim);
            using var dA = backend.Allocate(DType.F32, problem.NumPrompts, problem.MaxLen, problem.Rank);
            using var dB = backend.Allocate(DType.F32, problem.NumPrompts, problem.Rank, problem.Dim);
            dPrompt.CopyFrom(start[0]);
            dA.CopyFrom(start[1]);
            dB.CopyFrom(start[2]);
            var gradients = problem.Rank > 0 ? new PromptGradients(dPrompt, dA, dB) : new PromptGradients(dPrompt);
            backend.PromptInputBackward(gradients, t.DInput, t.Parameters(problem.LowRankScale), t.PromptIndex);
            backend.Synchronize();
            results.Add([dPrompt.ToFloatArray(), dA.ToFloatArray(), dB.ToFloatArray()]);
        }
        string[] names = ["dPrompt", "dLowRankA", "dLowRankB"];
        for (int i = 0; i < 3; i++)
            Assert.That(ErrorMetrics.Relative(results[1][i], results[0][i]), Is.LessThan(1e-5),
                $"{names[i]}: {ErrorMetrics.FirstMismatches(results[1][i], results[0][i], 1e-5)}");
    }

    [Test]
    public void TokenIdOutsideVocabularyIsRaisedAtSynchronize()
    {
        var problem = new PromptInputProblem(2, 5, 2, 16, 2, 8, 30);
        var data = problem.Generate(11);
        data.TokenIds[6] = 31;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PromptInputCheck.RunForward(Gpu, data, DType.F32, DType.F32));
        Assert.That(e!.Message, Does.Contain("Token id 31").And.Contain("[0, 30)"));
        // The error word is cleared once reported: the next valid run succeeds.
        var ok = PromptInputCheck.RunForward(Gpu, problem.Generate(12), DType.F32, DType.F32);
        Assert.That(ok.All(float.IsFinite), Is.True);
    }

    [Test]
    public void PromptIndexOutsideThePromptsIsRaisedAtSynchronize()
    {
        var problem = new PromptInputProblem(3, 5, 2, 16, 2, 8, 30, NumPrompts: 2);
        var data = problem.Generate(13);
        data.PromptIndex![2] = 5;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PromptInputCheck.RunForward(Gpu, data, DType.F32, DType.F32));
        Assert.That(e!.Message, Does.Contain("Prompt index 5").And.Contain("[0, 2)"));
    }

    [Test]
    public void FullSizeBf16ForwardMatchesCpu()
    {
        double error = PromptInputCheck.ForwardError(Gpu, PromptInputProblem.Bandwidth with { Batch = 4 }, DType.BF16, DType.BF16,
            TestContext.CurrentContext.Random.Next());
        Assert.That(error, Is.LessThan(1e-2));
    }

    private static float[] Random(Random rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rng.NextSingle() * 2 - 1;
        return v;
    }
}
