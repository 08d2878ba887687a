using DePT.Backends.Cpu;
using DePT.Prompts;
using DePT.Tensors;
using DePT.Tests.Ops;
using DePT.Training;

namespace DePT.Tests.Prompts;

/// <summary>
/// PromptTuning and DecomposedPrompt on the CPU backend: the three initialisations of P, A within ±1/√r and B zero,
/// the scale, the optimiser groups and names, the parameter counts, and step 0 of DePT equal to PT with the same P.
/// </summary>
public class SoftPromptTests
{
    private readonly CpuBackend _cpu = new();
    private Random _rng = new(0);

    [SetUp]
    public void Seed() => _rng = OpTest.NewRandom();

    [TestCase(7, 3)]
    [TestCase(2, 5)]
    [TestCase(5, 5)]
    public void TextInitialisationCyclesTheTextsRows(int promptLength, int textLength)
    {
        const int vocab = 13, dim = 6;
        float[] table = OpTest.Values(_rng, vocab * dim);
        int[] text = Enumerable.Range(0, textLength).Select(_ => _rng.Next(vocab)).ToArray();
        using var prompt = new PromptTuning(_cpu, promptLength, dim);
        prompt.InitializeFromText(text, table);

        float[] p = prompt.Prompt.ToFloatArray();
        for (int i = 0; i < promptLength; i++)
            Assert.That(p.AsSpan(i * dim, dim).ToArray(), Is.EqualTo(table.AsSpan(text[i % textLength] * dim, dim).ToArray()), $"row {i}");
    }

    [Test]
    public void TextInitialisationReadsABf16TableTensor()
    {
        const int vocab = 9, dim = 4;
        float[] table = OpTest.Values(_rng, vocab * dim);
        using var tableTensor = _cpu.Allocate(DType.BF16, vocab, dim);
        tableTensor.CopyFrom(table);
        float[] rounded = tableTensor.ToFloatArray();
        using var prompt = new DecomposedPrompt(_cpu, 3, dim, 8, 2, lowRankSeed: 1);
        prompt.InitializeFromText([8, 2], tableTensor);
        float[] p = prompt.Prompt.ToFloatArray();
        Assert.That(p, Is.EqualTo(rounded.AsSpan(8 * dim, dim).ToArray().Concat(rounded.AsSpan(2 * dim, dim).ToArray()).Concat(rounded.AsSpan(8 * dim, dim).ToArray())));
    }

    [Test]
    public void SampleVocabularyTakesSeededTableRows()
    {
        const int vocab = 50, dim = 5, m = 12;
        float[] table = OpTest.Values(_rng, vocab * dim);
        ulong seed = (ulong)_rng.NextInt64();
        using var a = new PromptTuning(_cpu, m, dim);
        using var b = new PromptTuning(_cpu, m, dim);
        using var c = new PromptTuning(_cpu, m, dim);
        a.InitializeFromVocabulary(table, seed);
        b.InitializeFromVocabulary(table, seed);
        c.InitializeFromVocabulary(table, seed + 1);

        float[] pa = a.Prompt.ToFloatArray();
        Assert.That(b.Prompt.ToFloatArray(), Is.EqualTo(pa), "same seed, same prompt");
        Assert.That(c.Prompt.ToFloatArray(), Is.Not.EqualTo(pa), "another seed, another prompt");
        var rows = new HashSet<int>();
        for (int i = 0; i < m; i++)
        {
            var row = pa.AsSpan(i * dim, dim).ToArray();
            int match = Enumerable.Range(0, vocab).FirstOrDefault(v => table.AsSpan(v * dim, dim).SequenceEqual(row), -1);
            Assert.That(match, Is.GreaterThanOrEqualTo(0), $"row {i} is no table row");
            rows.Add(match);
        }
        Assert.That(rows, Has.Count.GreaterThan(1), "12 draws from 50 rows all landed on one row");
    }

    [Test]
    public void RandomInitialisationIsUniformInItsRangeAndSeeded()
    {
        const int m = 40, dim = 16;
        ulong seed = (ulong)_rng.NextInt64();
        using var a = new PromptTuning(_cpu, m, dim);
        using var b = new PromptTuning(_cpu, m, dim);
        a.InitializeRandom(seed);
        b.InitializeRandom(seed, range: 0.01f);

        float[] pa = a.Prompt.ToFloatArray(), pb = b.Prompt.ToFloatArray();
        Assert.That(pa, Has.All.InRange(-SoftPrompt.DefaultRandomRange, SoftPrompt.DefaultRandomRange));
        Assert.That(pb, Has.All.InRange(-0.01f, 0.01f));
        Assert.That(pa.Max() - pa.Min(), Is.GreaterThan(0.9f), "640 uniform draws on [−0.5, 0.5) span most of it");
        Assert.That(Math.Abs(pa.Average()), Is.LessThan(0.1), "the mean of 640 draws is near 0");
        a.InitializeRandom(seed);
        Assert.That(a.Prompt.ToFloatArray(), Is.EqualTo(pa), "the seed alone reproduces the prompt");
    }

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(30)]
    public void LowRankStartsWithABoundedAndBZero(int rank)
    {
        const int m = 3, dim = 10, maxLength = 24;
        using var prompt = new DecomposedPrompt(_cpu, m, dim, maxLength, rank, (ulong)_rng.NextInt64());
        float bound = 1f / MathF.Sqrt(rank);
        float[] a = prompt.LowRankA.ToFloatArray();
        Assert.That(prompt.LowRankA.Shape.ToArray(), Is.EqualTo(new[] { 1, maxLength, rank }));
        Assert.That(prompt.LowRankB.Shape.ToArray(), Is.EqualTo(new[] { 1, rank, dim }));
        Assert.That(a, Has.All.InRange(-bound, bound));
        Assert.That(a.Max() - a.Min(), Is.GreaterThan(bound), "A is spread over its range");
        Assert.That(prompt.LowRankB.ToFloatArray(), Has.All.EqualTo(0f));
        Assert.That(prompt.PromptGradient.ToFloatArray().Concat(prompt.LowRankAGradient.ToFloatArray()).Concat(prompt.LowRankBGradient.ToFloatArray()), Has.All.EqualTo(0f));
        Assert.That(prompt.Scale, Is.EqualTo(8f / MathF.Sqrt(rank)));
    }

    [Test]
    public void NoScaleMeansOne()
    {
        using var prompt = new DecomposedPrompt(_cpu, 2, 4, 6, 9, 1, alpha: null);
        Assert.That(prompt.Scale, Is.EqualTo(1f));
        Assert.That(prompt.Parameters.LowRankScale, Is.EqualTo(1f));
        Assert.That(DecomposedPrompt.ScaleFor(2f, 16), Is.EqualTo(0.5f));
    }

    [Test]
    public void StepZeroOfDeptIsPromptTuningWithTheSamePrompt()
    {
        const int m = 4, dim = 8, maxLength = 10, rank = 3, vocab = 20, batch = 2, seqLen = 7;
        float[] table = OpTest.Values(_rng, vocab * dim);
        using var embeddings = _cpu.Allocate(DType.F32, vocab, dim);
        embeddings.CopyFrom(table);
        using var ids = _cpu.Allocate(DType.I32, batch, seqLen);
        ids.CopyFrom(Enumerable.Range(0, batch * seqLen).Select(_ => _rng.Next(vocab)).ToArray());
        using var dept = new DecomposedPrompt(_cpu, m, dim, maxLength, rank, (ulong)_rng.NextInt64());
        using var pt = new PromptTuning(_cpu, m, dim);
        dept.InitializeFromText([5, 11, 2], embeddings);
        pt.InitializeFromText([5, 11, 2], embeddings);

        using var deptOut = _cpu.Allocate(DType.F32, batch, m + seqLen, dim);
        using var ptOut = _cpu.Allocate(DType.F32, batch, m + seqLen, dim);
        _cpu.PromptInputForward(deptOut, ids, embeddings, dept.Parameters, null, 1f);
        _cpu.PromptInputForward(ptOut, ids, embeddings, pt.Parameters, null, 1f);
        Assert.That(deptOut.ToFloatArray(), Is.EqualTo(ptOut.ToFloatArray()));
    }

    [Test]
    public void ParameterCountsAndOptimiserGroups()
    {
        using var dept = new DecomposedPrompt(_cpu, 60, 768, 256, 30, 7);
        using var pt = new PromptTuning(_cpu, 100, 768);
        Assert.That(dept.TrainableParameterCount, Is.EqualTo(76_800));
        Assert.That(pt.TrainableParameterCount, Is.EqualTo(76_800));
        Assert.That(dept.Prompt.Length + dept.LowRankA.Length + dept.LowRankB.Length, Is.EqualTo(dept.TrainableParameterCount));

        var settings = new AdamWSettings(PromptLearningRate: 0.3f, LowRankLearningRate: 2e-4f);
        var groups = dept.OptimizerGroups(settings);
        Assert.That(groups.Select(g => (g.Name, g.LearningRate)), Is.EqualTo(new[] { (SoftPrompt.PromptGroupName, 0.3f), (DecomposedPrompt.LowRankGroupName, 2e-4f) }));
        Assert.That(groups.SelectMany(g => g.Parameters).Select(p => p.Name),
            Is.EqualTo(new[] { "prompt_embeddings", "prompt_encoder.lora_embedding_A", "prompt_encoder.lora_embedding_B" }));
        Assert.That(groups[1].Parameters[0].Value, Is.SameAs(dept.LowRankA));
        Assert.That(groups[1].Parameters[1].Gradient, Is.SameAs(dept.LowRankBGradient));
        Assert.That(pt.OptimizerGroups(settings).Single().Parameters.Single().Name, Is.EqualTo("prompt_embeddings"));
        using var optimizer = new AdamW(_cpu, groups, settings);
        Assert.That(optimizer.State.Select(s => s.Name), Is.EqualTo(groups.SelectMany(g => g.Parameters).Select(p => p.Name)));
    }

    [Test]
    public void BadInitialisationInputsAreRefused()
    {
        using var prompt = new PromptTuning(_cpu, 3, 4);
        Assert.That(() => prompt.InitializeFromText([], new float[8]), Throws.ArgumentException.With.Message.Contains("no token"));
        Assert.That(() => prompt.InitializeFromText([0], new float[10]), Throws.ArgumentException.With.Message.Contains("d=4"));
        Assert.That(() => prompt.InitializeRandom(1, range: 0f), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new DecomposedPrompt(_cpu, 3, 4, 5, 2, 1, alpha: -1f), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
