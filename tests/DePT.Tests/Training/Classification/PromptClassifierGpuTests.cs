using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Models.Bert;
using DePT.Prompts;
using DePT.Tensors;
using DePT.Tests.Models;
using DePT.Tests.Support;
using DePT.Training;
using DePT.Training.Classification;

namespace DePT.Tests.Training.Classification;

/// <summary>
/// The whole classification training loop on CUDA against the CPU backend: the same fixture model, prompt, head, rows and
/// seeds (dropout masks come from the same counter-based hash), so the two loss curves must agree step by step.
/// </summary>
public class PromptClassifierGpuTests : GpuFixture
{
    private const int Classes = 2, PromptLength = 4, Length = 8, Batch = 8, Rank = 2, Steps = 12;

    [TestCase(PromptClassifierTests.PromptKind.HeadOnly)]
    [TestCase(PromptClassifierTests.PromptKind.Vanilla)]
    [TestCase(PromptClassifierTests.PromptKind.Decomposed)]
    public void F32TrainingFollowsTheCpuLossCurve(PromptClassifierTests.PromptKind kind)
    {
        int seed = TestContext.CurrentContext.Random.Next();
        float[] cpu = Losses(new CpuBackend(), kind, seed);
        float[] gpu = Losses(Gpu, kind, seed);
        TestContext.Out.WriteLine($"{kind} cpu: {string.Join(" ", cpu.Select(l => l.ToString("F5")))}");
        TestContext.Out.WriteLine($"{kind} gpu: {string.Join(" ", gpu.Select(l => l.ToString("F5")))}");
        // fp32 with other summation orders, which the optimiser carries from step to step: 1e-3 relative
        Assert.That(gpu, Is.EqualTo(cpu).Within(0.1).Percent);
    }

    private static float[] Losses(IBackend backend, PromptClassifierTests.PromptKind kind, int seed)
    {
        using var model = BertModel.Load(backend, Path.Combine(ReferenceFixture.Root, "bert"), DType.F32);
        using var prompt = kind switch
        {
            PromptClassifierTests.PromptKind.HeadOnly => (SoftPrompt?)null,
            PromptClassifierTests.PromptKind.Vanilla => new PromptTuning(backend, PromptLength, model.Config.HiddenSize),
            _ => new DecomposedPrompt(backend, PromptLength, model.Config.HiddenSize, maxLength: Length, Rank, lowRankSeed: 2),
        };
        prompt?.InitializeFromVocabulary(model.Embeddings, seed: 13);
        using var head = new ClassificationHead(backend, model.Config.HiddenSize, Classes, seed: 11);
        var settings = new AdamWSettings(PromptLearningRate: 3e-2f, LowRankLearningRate: 1e-2f, WarmupSteps: 0, TotalSteps: 1000);
        using var classifier = new PromptClassifier(model, prompt, head, new PromptClassifierOptions(settings, HeadLearningRate: 1e-1f, DropoutSeed: 5));
        var rows = new Random(seed);
        var batches = Enumerable.Range(0, 3).Select(_ => ClassifierTestData.Batch(Batch, Length, rows)).ToArray();
        var losses = new float[Steps];
        for (int step = 0; step < Steps; step++)
        {
            var (inputs, labels) = batches[step % batches.Length];
            losses[step] = classifier.TrainStep(inputs, labels);
        }
        return losses;
    }
}
