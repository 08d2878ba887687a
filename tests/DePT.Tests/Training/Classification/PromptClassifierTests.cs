using DePT.Backends.Cpu;
using DePT.Data;
using DePT.Models.Bert;
using DePT.Prompts;
using DePT.Tensors;
using DePT.Tests.Models;
using DePT.Tokenizers;
using DePT.Training;
using DePT.Training.Classification;

namespace DePT.Tests.Training.Classification;

/// <summary>Head-only, PT and DePT classification on the tiny BERT fixture (d = 32, 2 layers) on the CPU backend.</summary>
public class PromptClassifierTests
{
    private const int Classes = 2, PromptLength = 4, Length = 8, Batch = 8, Rank = 2;
    private readonly CpuBackend _cpu = new();

    public enum PromptKind { HeadOnly, Vanilla, Decomposed }

    private static AdamWSettings Settings => new(PromptLearningRate: 3e-2f, LowRankLearningRate: 1e-2f, WarmupSteps: 0, TotalSteps: 1000, MaxGradNorm: 1f);

    [TestCase(PromptKind.HeadOnly)]
    [TestCase(PromptKind.Vanilla)]
    [TestCase(PromptKind.Decomposed)]
    public void Training_LowersTheLoss(PromptKind kind)
    {
        using var model = FixtureModel();
        using var prompt = MakePrompt(kind, model);
        using var head = new ClassificationHead(_cpu, model.Config.HiddenSize, Classes, seed: 11);
        using var classifier = new PromptClassifier(model, prompt, head, new PromptClassifierOptions(Settings, HeadLearningRate: 1e-1f, DropoutSeed: 5));
        // A fixed draw: whether 32 steps on 32 rows separate the classes depends a little on the rows, and a
        // convergence test must not fail one run in many on an unlucky draw.
        var rows = new Random(20261129);
        var batches = Enumerable.Range(0, 4).Select(_ => ClassifierTestData.Batch(Batch, Length, rows)).ToArray();

        var losses = new float[32];
        for (int step = 0; step < losses.Length; step++)
        {
            var (inputs, labels) = batches[step % batches.Length];
            losses[step] = classifier.TrainStep(inputs, labels);
        }
        TestContext.Out.WriteLine($"{kind}: {string.Join(" ", losses.Select(l => l.ToString("F3")))}");

        Assert.That(losses, Has.All.Matches<float>(float.IsFinite));
        // means over two passes of the four batches, so batch-to-batch spread does not decide
        double first = losses.Take(8).Average(), last = losses.TakeLast(8).Average();
        Assert.That(last, Is.LessThan(0.75 * first), $"the mean loss of the last 8 steps against the first 8 ({kind})");
        double accuracy = classifier.Evaluate(batches.Select(b => new EncodedBatch(b.Inputs, null, b.Labels, 0, 0)));
        Assert.That(accuracy, Is.GreaterThanOrEqualTo(0.65), $"training accuracy (chance is 0.5) ({kind})");
    }

    [Test]
    public void HeadWeightGradient_MatchesFiniteDifferences()
    {
        using var model = FixtureModel();
        using var prompt = MakePrompt(PromptKind.Vanilla, model);
        using var head = new ClassificationHead(_cpu, model.Config.HiddenSize, Classes, seed: 3);
        using var classifier = new PromptClassifier(model, prompt, head, new PromptClassifierOptions(Settings, Dropout: false));
        var (inputs, labels) = ClassifierTestData.Batch(Batch, Length);

        classifier.AccumulateGradients(inputs, labels);
        float[] gradient = head.WeightGradient.ToFloatArray(), weight = head.Weight.ToFloatArray();
        classifier.Optimizer.ZeroGradients();

        CheckDirectionalDerivatives(classifier, inputs, labels, head.Weight, weight, gradient, eps: 1e-2);
    }

    [TestCase(PromptKind.Vanilla)]
    [TestCase(PromptKind.Decomposed)]
    public void PromptGradient_MatchesFiniteDifferences(PromptKind kind)
    {
        using var model = FixtureModel();
        using var prompt = MakePrompt(kind, model)!;
        if (prompt is DecomposedPrompt dept) dept.LowRankB.CopyFrom(ModelTestData.Normal((int)dept.LowRankB.Length, 0.1));   // B = 0 would hide the Δ path
        using var head = new ClassificationHead(_cpu, model.Config.HiddenSize, Classes, seed: 3);
        using var classifier = new PromptClassifier(model, prompt, head, new PromptClassifierOptions(Settings, Dropout: false));
        var (inputs, labels) = ClassifierTestData.Batch(Batch, Length);

        classifier.AccumulateGradients(inputs, labels);
        float[] gradient = prompt.PromptGradient.ToFloatArray(), values = prompt.Prompt.ToFloatArray();
        classifier.Optimizer.ZeroGradients();
        Assert.That(gradient, Has.Some.Not.EqualTo(0f), "the prompt receives a gradient");

        CheckDirectionalDerivatives(classifier, inputs, labels, prompt.Prompt, values, gradient, eps: 3e-3);
    }

    [Test]
    public void SameSeeds_GiveIdenticalLosses_AnotherDropoutSeedDoesNot()
    {
        using var folder = ModelFolder.Copy("bert", editConfig: json => json.Replace("\"hidden_dropout_prob\": 0.0", "\"hidden_dropout_prob\": 0.1"));
        var batches = Enumerable.Range(0, 3).Select(_ => ClassifierTestData.Batch(Batch, Length)).ToArray();

        float[] Run(ulong dropoutSeed)
        {
            using var model = BertModel.Load(_cpu, folder.Path, DType.F32);
            using var prompt = MakePrompt(PromptKind.Decomposed, model);
            using var head = new ClassificationHead(_cpu, model.Config.HiddenSize, Classes, seed: 21);
            using var classifier = new PromptClassifier(model, prompt, head, new PromptClassifierOptions(Settings, DropoutSeed: dropoutSeed));
            return Enumerable.Range(0, 6).Select(step => classifier.TrainStep(batches[step % 3].Inputs, batches[step % 3].Labels)).ToArray();
        }

        float[] first = Run(9), second = Run(9), other = Run(10);
        Assert.That(second, Is.EqualTo(first));
        Assert.That(other, Is.Not.EqualTo(first));
    }

    [Test]
    public void Predict_GivesOneClassPerRow()
    {
        using var model = FixtureModel();
        using var head = new ClassificationHead(_cpu, model.Config.HiddenSize, 3, seed: 1);
        using var classifier = new PromptClassifier(model, null, head, new PromptClassifierOptions(Settings));
        var (inputs, _) = ClassifierTestData.Batch(5, Length);

        int[] predicted = classifier.Predict(inputs);

        Assert.That(predicted, Has.Length.EqualTo(5).And.All.InRange(0, 2));
        Assert.That(classifier.Predict(inputs), Is.EqualTo(predicted), "evaluation has no dropout");
    }

    [Test]
    public void BadShapesAndLabels_AreRefused()
    {
        using var model = FixtureModel();
        using var prompt = MakePrompt(PromptKind.Decomposed, model);
        using var head = new ClassificationHead(_cpu, model.Config.HiddenSize, Classes, seed: 1);
        using var classifier = new PromptClassifier(model, prompt, head, new PromptClassifierOptions(Settings));
        var (inputs, labels) = ClassifierTestData.Batch(4, Length);

        Assert.Throws<ArgumentOutOfRangeException>(() => classifier.TrainStep(inputs, [0, 1, 2, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => classifier.TrainStep(inputs, [0, 1, -1, 0]));
        Assert.That(() => classifier.TrainStep(inputs, labels.AsSpan(0, 3)), Throws.ArgumentException.With.Message.Contains("3 labels for a batch of 4"));
        Assert.That(() => classifier.TrainStep(new EncodedBatch(inputs, null, null, 0, 0)), Throws.ArgumentException.With.Message.Contains("no labels"));
        var (tooLong, longLabels) = ClassifierTestData.Batch(2, Length + 1);   // DePT's s is Length
        Assert.That(() => classifier.TrainStep(tooLong, longLabels), Throws.ArgumentException.With.Message.Contains("s=8"));
        using var wideHead = new ClassificationHead(_cpu, model.Config.HiddenSize + 1, Classes, seed: 1);
        Assert.That(() => new PromptClassifier(model, prompt, wideHead, new PromptClassifierOptions(Settings)), Throws.ArgumentException.With.Message.Contains("hidden_size is 32"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClassificationHead(_cpu, 32, 1, seed: 1));
    }

    [Test]
    public void Head_StartsXavierUniform_FromItsSeed()
    {
        using var a = new ClassificationHead(_cpu, 32, 3, seed: 7);
        using var b = new ClassificationHead(_cpu, 32, 3, seed: 7);
        using var c = new ClassificationHead(_cpu, 32, 3, seed: 8);
        float[] weight = a.Weight.ToFloatArray();
        float bound = MathF.Sqrt(6f / 35f);

        Assert.That(weight, Has.All.InRange(-bound, bound));
        Assert.That(weight.Max() - weight.Min(), Is.GreaterThan(bound), "the draw spans the range");
        Assert.That(b.Weight.ToFloatArray(), Is.EqualTo(weight));
        Assert.That(c.Weight.ToFloatArray(), Is.Not.EqualTo(weight));
        Assert.That(a.Bias.ToFloatArray(), Has.All.EqualTo(0f));
        Assert.That(a.OptimizerGroup(1e-3f).Name, Is.EqualTo("head"));
    }

    /// <summary>g·v against (loss(x + εv) − loss(x − εv)) / 2ε along two random directions, x written into <paramref name="parameter"/>.</summary>
    private static void CheckDirectionalDerivatives(PromptClassifier classifier, TokenBatch inputs, int[] labels, Tensor parameter, float[] x, float[] gradient, double eps)
    {
        double Loss(float[] values)
        {
            parameter.CopyFrom(values);
            double loss = classifier.AccumulateGradients(inputs, labels);
            classifier.Optimizer.ZeroGradients();
            return loss;
        }
        Assert.That(ModelTestData.Dot(gradient, gradient), Is.GreaterThan(0));
        ModelTestData.AssertDirectionalDerivatives(x, gradient, Loss, eps);
        parameter.CopyFrom(x);
    }

    private BertModel FixtureModel() => BertModel.Load(_cpu, System.IO.Path.Combine(ReferenceFixture.Root, "bert"), DType.F32);

    private SoftPrompt? MakePrompt(PromptKind kind, BertModel model)
    {
        SoftPrompt? prompt = kind switch
        {
            PromptKind.HeadOnly => null,
            PromptKind.Vanilla => new PromptTuning(_cpu, PromptLength, model.Config.HiddenSize),
            _ => new DecomposedPrompt(_cpu, PromptLength, model.Config.HiddenSize, maxLength: Length, Rank, lowRankSeed: 2),
        };
        prompt?.InitializeFromVocabulary(model.Embeddings, seed: 13);
        return prompt;
    }
}
