using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Diagnostics;
using DePT.Tensors;
using DePT.Tests.Support;

namespace DePT.Tests.Kernels;

/// <summary>The CPU backend's DePT input op against the formula (forward) and finite differences (backward).</summary>
public class PromptInputCpuTests
{
    private readonly CpuBackend _cpu = new();

    [TestCaseSource(typeof(PromptInputCases), nameof(PromptInputCases.All))]
    public void ForwardMatchesFormulaInDouble(PromptInputProblem problem)
    {
        var data = problem.Generate(TestContext.CurrentContext.Random.Next());
        var actual = PromptInputCheck.RunForward(_cpu, data, DType.F32, DType.F32);
        var expected = Array.ConvertAll(PromptInputReference.Forward(data), v => (float)v);
        double error = ErrorMetrics.Relative(actual, expected);
        Assert.That(error, Is.LessThan(1e-5), ErrorMetrics.FirstMismatches(actual, expected, 1e-5));
    }

    [TestCaseSource(typeof(PromptInputCases), nameof(PromptInputCases.All))]
    public void Bf16OutputAndEmbeddingsStayWithinBound(PromptInputProblem problem)
    {
        var data = problem.Generate(TestContext.CurrentContext.Random.Next(), DType.BF16);
        var actual = PromptInputCheck.RunForward(_cpu, data, DType.BF16, DType.BF16);
        var expected = Array.ConvertAll(PromptInputReference.Forward(data), v => (float)v);
        Assert.That(ErrorMetrics.Relative(actual, expected), Is.LessThan(1e-2));
    }

    [TestCaseSource(typeof(PromptInputCases), nameof(PromptInputCases.All))]
    public void BackwardAccumulatesFiniteDifferenceGradients(PromptInputProblem problem)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var data = problem.Generate(rng.Next());
        using var t = data.Upload(_cpu, DType.F32, DType.F32);
        var parameters = t.Parameters(problem.LowRankScale);

        // Gradients start from random values: the op must add to them (parameter gradients accumulate).
        var start = new Dictionary<string, float[]>();
        var grads = new Dictionary<string, Tensor>();
        foreach (var (name, parameter) in Trainable(t))
        {
            var g = _cpu.Allocate(DType.F32, parameter.Shape.ToArray());
            start[name] = Random(rng, (int)g.Length);
            g.CopyFrom(start[name]);
            grads[name] = g;
        }
        var gradients = new PromptGradients(grads["prompt"], grads.GetValueOrDefault("lowRankA"), grads.GetValueOrDefault("lowRankB"));
        _cpu.PromptInputBackward(gradients, t.DInput, parameters, t.PromptIndex);

        // loss = Σ out ⊙ dInput, so d(loss)/dθ is what the backward must produce.
        double Loss()
        {
            var output = PromptInputCheck.RunForward(_cpu, DataFrom(t, data), DType.F32, DType.F32);
            double sum = 0;
            for (int i = 0; i < output.Length; i++) sum += (double)output[i] * data.DInput[i];
            return sum;
        }
        foreach (var (name, parameter) in Trainable(t))
        {
            var values = parameter.ToFloatArray();
            if (values.Length == 0) continue;
            var analytic = grads[name].ToFloatArray();
            var numeric = new List<double>();
            var claimed = new List<double>();
            foreach (int i in Enumerable.Range(0, 12).Select(_ => rng.Next(values.Length)).Distinct())
            {
                const float h = 1e-2f;
                float original = values[i];
                values[i] = original + h; parameter.CopyFrom(values);
                double plus = Loss();
                values[i] = original - h; parameter.CopyFrom(values);
                double minus = Loss();
                values[i] = original; parameter.CopyFrom(values);
                numeric.Add((plus - minus) / (2 * h));
                claimed.Add(analytic[i] - start[name][i]);
            }
            double error = ErrorMetrics.Relative(claimed.Select(v => (float)v).ToArray(), numeric.Select(v => (float)v).ToArray());
            Assert.That(error, Is.LessThan(2e-3), $"{name}: analytic {string.Join(", ", claimed.Take(4))} vs numeric {string.Join(", ", numeric.Take(4))}");
        }
        if (t.LowRankA is not null)
        {
            // Rows of A at or past L never touch the input: their gradient must stay exactly as it was.
            var dA = grads["lowRankA"].ToFloatArray();
            for (int p = 0; p < problem.NumPrompts; p++)
                for (int row = problem.SeqLen; row < problem.MaxLen; row++)
                    for (int k = 0; k < problem.Rank; k++)
                    {
                        int i = (p * problem.MaxLen + row) * problem.Rank + k;
                        Assert.That(dA[i], Is.EqualTo(start["lowRankA"][i]), $"dA row {row} ≥ L={problem.SeqLen} changed");
                    }
        }
        foreach (var g in grads.Values) g.Dispose();
    }

    [TestCaseSource(typeof(PromptInputCases), nameof(PromptInputCases.All))]
    public void PrecomputedDeltaGivesTheSameInput(PromptInputProblem problem)
    {
        if (problem.Rank == 0) Assert.Ignore("Rank 0 has no low-rank delta.");
        var data = problem.Generate(TestContext.CurrentContext.Random.Next());
        using var t = data.Upload(_cpu, DType.F32, DType.F32);
        using var delta = _cpu.Allocate(DType.F32, problem.NumPrompts, problem.MaxLen, problem.Dim);
        _cpu.LowRankDelta(delta, t.LowRankA!, t.LowRankB!, problem.LowRankScale);
        using var viaDelta = _cpu.Allocate(DType.F32, problem.Batch, problem.TotalLen, problem.Dim);
        _cpu.PromptInputForward(viaDelta, t.TokenIds, t.Embeddings, PromptParameters.WithDelta(t.Prompt, delta), t.PromptIndex, 1f);
        var expected = PromptInputCheck.RunForward(_cpu, data, DType.F32, DType.F32);
        Assert.That(ErrorMetrics.Relative(viaDelta.ToFloatArray(), expected), Is.LessThan(1e-6));
    }

    [Test]
    public void MixedPromptBatchEqualsSeparateRuns()
    {
        var problem = new PromptInputProblem(6, 10, 4, 32, 3, 12, 50, NumPrompts: 3);
        var data = problem.Generate(TestContext.CurrentContext.Random.Next());
        var mixed = PromptInputCheck.RunForward(_cpu, data, DType.F32, DType.F32);
        int rowFloats = problem.TotalLen * problem.Dim;
        for (int b = 0; b < problem.Batch; b++)
        {
            int q = data.PromptIndex![b];
            var single = new PromptInputProblem(1, problem.SeqLen, problem.PromptLen, problem.Dim, problem.Rank, problem.MaxLen, problem.Vocab);
            var alone = new PromptInputData(single)
            {
                TokenIds = data.TokenIds.AsSpan(b * problem.SeqLen, problem.SeqLen).ToArray(),
                Embeddings = data.Embeddings,
                Prompt = data.Prompt.AsSpan(q * problem.PromptLen * problem.Dim, problem.PromptLen * problem.Dim).ToArray(),
                LowRankA = data.LowRankA!.AsSpan(q * problem.MaxLen * problem.Rank, problem.MaxLen * problem.Rank).ToArray(),
                LowRankB = data.LowRankB!.AsSpan(q * problem.Rank * problem.Dim, problem.Rank * problem.Dim).ToArray(),
                DInput = new float[rowFloats],
            };
            var expected = PromptInputCheck.RunForward(_cpu, alone, DType.F32, DType.F32);
            Assert.That(mixed.AsSpan(b * rowFloats, rowFloats).ToArray(), Is.EqualTo(expected), $"example {b} (prompt {q})");
        }
    }

    private static IEnumerable<(string, Tensor)> Trainable(PromptInputTensors t)
    {
        yield return ("prompt", t.Prompt);
        if (t.LowRankA is not null) yield return ("lowRankA", t.LowRankA);
        if (t.LowRankB is not null) yield return ("lowRankB", t.LowRankB!);
    }

    /// <summary>The data with the parameters as they are now in the tensors (finite differences move them).</summary>
    private static PromptInputData DataFrom(PromptInputTensors t, PromptInputData data) => new(data.Problem)
    {
        TokenIds = data.TokenIds,
        Embeddings = data.Embeddings,
        Prompt = t.Prompt.ToFloatArray(),
        LowRankA = t.LowRankA?.ToFloatArray(),
        LowRankB = t.LowRankB?.ToFloatArray(),
        PromptIndex = data.PromptIndex,
        DInput = data.DInput,
    };

    private static float[] Random(Random rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rng.NextSingle() * 2 - 1;
        return v;
    }
}
