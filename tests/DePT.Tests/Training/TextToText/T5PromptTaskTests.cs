using DePT.Checkpoints;
using DePT.Data;
using DePT.Metrics;
using DePT.Prompts;
using DePT.Tests.Models;
using DePT.Tests.Training.Trainer;
using DePT.Training;
using DePT.Training.TextToText;

namespace DePT.Tests.Training.TextToText;

/// <summary>
/// T5 text-to-text evaluation on the tiny T5 fixture (grown to the SentencePiece fixture's vocabulary): the metrics come
/// from the greedy generations compared with the targets after normalisation, the label-word metrics treat a
/// generation that is no label word as wrong, and bad targets are refused naming their row.
/// </summary>
public class T5PromptTaskTests
{
    private static ModelFolder? _fixture;

    [OneTimeSetUp]
    public void LoadFixture() => _fixture = TrainerRigs.T5Folder();

    [OneTimeTearDown]
    public void DisposeFixture() => _fixture?.Dispose();

    private static string Folder => _fixture!.Path;

    [Test]
    public void Evaluate_ScoresTheGenerationsAgainstTheTargets()
    {
        var inputs = TrainerRigs.Sentences(7, 11, textToText: true, "dev.jsonl");
        using var rig = new T5Rig(Folder, 31, 10);
        string[] generated = rig.Task.Generate(inputs, batchSize: 3);
        Assert.That(generated, Has.Length.EqualTo(inputs.Length));
        Assert.That(rig.Task.Generate(inputs, batchSize: 3), Is.EqualTo(generated), "generation is deterministic (no dropout)");
        TestContext.Out.WriteLine(string.Join(" | ", generated));

        // label words: every distinct generation plus one the model does not produce; even rows target their own
        // generation (written in another case and with punctuation, which normalisation removes), odd rows another word
        var words = generated.Select(TextMetrics.Normalize).Distinct().Append("zebra crossing").ToList();
        var targets = new string[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            string own = TextMetrics.Normalize(generated[i]);
            targets[i] = i % 2 == 0 ? own.ToUpperInvariant() + "." : words.First(w => w != own);
        }
        var examples = inputs.Select((e, i) => e with { Target = targets[i] }).ToArray();
        var labelWords = new LabelSet(words);
        using var task = new T5PromptTask(rig.Model, rig.Prompt, rig.Tokenizer, new ExampleBatcher(rig.Tokenizer, TrainerRigs.T5InputLength, TrainerRigs.T5TargetLength),
            rig.Identity, new AdamWSettings(), labelWords, dropout: false);

        var metrics = task.Evaluate(examples, batchSize: 2);

        double matches = Enumerable.Range(0, examples.Length).Count(i => TextMetrics.Normalize(generated[i]) == TextMetrics.Normalize(targets[i]));
        Assert.That(matches, Is.EqualTo(4), "rows 0, 2, 4, 6 match");
        Assert.That(metrics[MetricKind.ExactMatch], Is.EqualTo(matches / examples.Length).Within(1e-12));
        Assert.That(metrics[MetricKind.Accuracy], Is.EqualTo(matches / examples.Length).Within(1e-12), "every target is a label word, so accuracy is exact match");
        Assert.That(metrics[MetricKind.TokenF1], Is.EqualTo(Enumerable.Range(0, examples.Length).Average(i => TextMetrics.TokenF1(generated[i], targets[i]))).Within(1e-12));
        Assert.That(metrics[MetricKind.MacroF1], Is.EqualTo(MacroF1(generated, targets, words)).Within(1e-12));
        Assert.That(metrics.Keys, Is.EquivalentTo(task.Metrics));
        Assert.That(task.Metrics, Does.Contain(MetricKind.MatthewsCorrelation));
        Assert.That(task.Metrics.Contains(MetricKind.BinaryF1), Is.EqualTo(words.Count == 2));
    }

    [Test]
    public void WithoutLabelWords_OnlyTheTextMetricsAreReported()
    {
        var examples = TrainerRigs.Sentences(3, 12, textToText: true);
        using var rig = new T5Rig(Folder, 32, 10);
        Assert.That(rig.Task.Metrics, Is.EqualTo(new[] { MetricKind.ExactMatch, MetricKind.TokenF1 }));
        var metrics = rig.Task.Evaluate(examples, batchSize: 4);
        string[] generated = rig.Task.Generate(examples, 4);
        Assert.That(metrics.Keys, Is.EquivalentTo(new[] { MetricKind.ExactMatch, MetricKind.TokenF1 }));
        Assert.That(metrics[MetricKind.ExactMatch], Is.EqualTo(TextMetrics.ExactMatch(generated, examples.Select(e => e.Target!).ToList())));
        Assert.That(metrics[MetricKind.TokenF1], Is.EqualTo(TextMetrics.TokenF1(generated, examples.Select(e => e.Target!).ToList())));
    }

    [Test]
    public void ATargetThatIsNoLabelWord_OrAMissingTarget_IsRefusedNamingItsRow()
    {
        var examples = TrainerRigs.Sentences(4, 13, textToText: true, "dev.jsonl");
        examples[2] = examples[2] with { Target = "neutral" };
        using var rig = new T5Rig(Folder, 33, 10, new LabelSet(["negative", "positive"]));
        Assert.That(() => rig.Task.Evaluate(examples, 4), Throws.ArgumentException.With.Message.Contains("dev.jsonl:3").And.Message.Contains("\"neutral\"").And.Message.Contains("negative, positive"));

        examples[2] = examples[2] with { Target = null, Label = "x" };
        Assert.That(() => rig.Task.Evaluate(examples, 4), Throws.ArgumentException.With.Message.Contains("dev.jsonl:3").And.Message.Contains("no target"));
        Assert.That(() => rig.Task.Generate([], 4), Throws.ArgumentException.With.Message.Contains("no examples"));
    }

    [Test]
    public void TrainingSteps_LowerTheLossOfARepeatedBatch_AndLeaveEvaluationWithoutDropout()
    {
        var examples = TrainerRigs.Sentences(4, 14, textToText: true);
        using var rig = new T5Rig(Folder, 34, 10);
        var batch = rig.Task.Encode(examples, [0, 1, 2, 3]);
        var losses = new List<float>();
        for (int step = 0; step < 6; step++)
        {
            losses.Add(rig.Task.AccumulateGradients(batch));
            rig.Task.Optimizer.Step();
        }
        Assert.That(losses, Has.All.Matches<float>(float.IsFinite));
        Assert.That(losses.Last(), Is.LessThan(losses.First()), string.Join(" ", losses));
        Assert.That(rig.Prompt.LowRankB.ToFloatArray(), Has.Some.Not.EqualTo(0f), "B trains");
        Assert.That(rig.Task.Evaluate(examples, 3), Is.EquivalentTo(rig.Task.Evaluate(examples, 3)));
    }

    [Test]
    public void ADecomposedPromptShorterThanTheInputs_IsRefused()
    {
        using var rig = new T5Rig(Folder, 35, 10);
        using var shortPrompt = new DecomposedPrompt(rig.Model.Backend, 2, rig.Model.Config.ModelDim, maxLength: TrainerRigs.T5InputLength - 1, 2, 1);
        Assert.That(() => new T5PromptTask(rig.Model, shortPrompt, rig.Tokenizer, new ExampleBatcher(rig.Tokenizer, TrainerRigs.T5InputLength, 4), rig.Identity, new AdamWSettings()),
            Throws.ArgumentException.With.Message.Contains($"s={TrainerRigs.T5InputLength - 1}"));
    }

    [Test]
    public void SavedParameters_LoadIntoAnotherTask_OfTheSameModelOnly()
    {
        string folder = Directory.CreateTempSubdirectory("dept-t5-task-").FullName;
        try
        {
            using var trained = new T5Rig(Folder, 36, 10);
            trained.Task.AccumulateGradients(trained.Task.Encode(TrainerRigs.Sentences(2, 15, textToText: true), [0, 1]));
            trained.Task.Optimizer.Step();
            trained.Task.SaveParameters(folder);
            Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName), Is.EquivalentTo(new[] { T5PromptTask.PromptFileName, "prompt.json" }));

            using var other = new T5Rig(Folder, 37, 10);
            Assert.That(other.Values(), Is.Not.EqualTo(trained.Values()));
            other.Task.LoadParameters(folder);
            Assert.That(other.Values(), Is.EqualTo(trained.Values()));

            using var foreign = new T5PromptTask(other.Model, other.Prompt, other.Tokenizer, new ExampleBatcher(other.Tokenizer, TrainerRigs.T5InputLength, 4),
                other.Identity with { LayerCount = 3 }, new AdamWSettings());
            Assert.That(() => foreign.LoadParameters(folder), Throws.TypeOf<PromptModelMismatchException>().With.Message.Contains("layers=3"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Macro F1 over the label words by hand: a generation that is no label word predicts no class.</summary>
    private static double MacroF1(string[] generated, string[] targets, IReadOnlyList<string> words)
    {
        int ClassOf(string text) => words.ToList().FindIndex(w => TextMetrics.Normalize(w) == TextMetrics.Normalize(text));
        int[] predicted = generated.Select(ClassOf).ToArray(), gold = targets.Select(ClassOf).ToArray();
        double sum = 0;
        for (int c = 0; c < words.Count; c++)
        {
            int tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < predicted.Length; i++)
            {
                if (predicted[i] == c && gold[i] == c) tp++;
                else if (predicted[i] == c) fp++;
                else if (gold[i] == c) fn++;
            }
            sum += tp == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
        }
        return sum / words.Count;
    }
}
