using DePT.Backends.Cpu;
using DePT.Checkpoints;
using DePT.Data;
using DePT.Metrics;
using DePT.Models.Bert;
using DePT.Tensors;
using DePT.Tests.Models;
using DePT.Tests.Training.Trainer;
using DePT.Training;
using DePT.Training.Classification;

namespace DePT.Tests.Training.Classification;

/// <summary>ClassificationTask on the BERT fixture: the metrics it reports, scores from its predictions, the files it saves and loads back (with and without a prompt).</summary>
public class ClassificationTaskTests
{
    private string _folder = "";

    [SetUp]
    public void SetUp() => _folder = Directory.CreateTempSubdirectory("dept-classification-task-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_folder, recursive: true);

    private static string Bert => Path.Combine(ReferenceFixture.Root, "bert");

    [Test]
    public void Evaluate_ScoresThePredictions()
    {
        using var rig = new ClassificationRig(Bert, 3, 10);
        var examples = TrainerRigs.Sentences(9, 5, textToText: false);
        var (predicted, gold) = rig.Task.Predict(examples, batchSize: 4);
        Assert.That(gold, Is.EqualTo(examples.Select(e => e.Label == "pos" ? 1 : 0)));
        Assert.That(predicted, Has.All.InRange(0, 1));

        var metrics = rig.Task.Evaluate(examples, batchSize: 2);

        Assert.That(rig.Task.Metrics, Is.EqualTo(new[] { MetricKind.Accuracy, MetricKind.BinaryF1, MetricKind.MacroF1, MetricKind.MatthewsCorrelation }));
        Assert.That(metrics.Keys, Is.EquivalentTo(rig.Task.Metrics));
        Assert.That(metrics[MetricKind.Accuracy], Is.EqualTo(predicted.Zip(gold).Count(p => p.First == p.Second) / 9.0).Within(1e-12));
        Assert.That(metrics[MetricKind.BinaryF1], Is.EqualTo(ClassificationMetrics.BinaryF1(predicted, gold)));
        Assert.That(metrics[MetricKind.MacroF1], Is.EqualTo(ClassificationMetrics.MacroF1(predicted, gold, 2)));
        Assert.That(metrics[MetricKind.MatthewsCorrelation], Is.EqualTo(ClassificationMetrics.MatthewsCorrelation(predicted, gold, 2)));
        Assert.That(rig.Task.Evaluate(examples, batchSize: 9), Is.EquivalentTo(metrics), "no dropout, batching does not matter");
    }

    [Test]
    public void ThreeClasses_ReportNoBinaryF1()
    {
        using var model = BertModel.Load(new CpuBackend(), Bert, DType.F32);
        using var head = new ClassificationHead(model.Backend, model.Config.HiddenSize, 3, seed: 1);
        using var classifier = new PromptClassifier(model, null, head, new PromptClassifierOptions(new AdamWSettings()));
        var labels = new LabelSet(["a", "b", "c"]);
        var task = new ClassificationTask(classifier, new ExampleBatcher(TrainerRigs.BertTokenizer(), 8, 2, labels), labels, TrainerRigs.IdentityOf(Bert, "bert", "embeddings.word_embeddings.weight"));
        Assert.That(task.Metrics, Is.EqualTo(new[] { MetricKind.Accuracy, MetricKind.MacroF1, MetricKind.MatthewsCorrelation }));
        Assert.That(() => new ClassificationTask(classifier, new ExampleBatcher(TrainerRigs.BertTokenizer(), 8, 2, TrainerRigs.ClassLabels), TrainerRigs.ClassLabels, TrainerRigs.IdentityOf(Bert, "bert", "embeddings.word_embeddings.weight")),
            Throws.ArgumentException.With.Message.Contains("2 labels for a head of 3"));
    }

    [Test]
    public void SavedParameters_LoadIntoAnotherTask()
    {
        using var trained = new ClassificationRig(Bert, 3, 10);
        var examples = TrainerRigs.Sentences(4, 5, textToText: false);
        Assert.That(trained.Task.AccumulateGradients(trained.Task.Encode(examples, [0, 1, 2, 3])), Is.GreaterThan(0f));
        trained.Task.Optimizer.Step();   // B leaves zero
        trained.Task.SaveParameters(_folder);
        Assert.That(Directory.GetFiles(_folder).Select(Path.GetFileName), Is.EquivalentTo(new[]
            { ClassificationTask.PromptFileName, "prompt.json", ClassificationTask.HeadFileName }));

        using var other = new ClassificationRig(Bert, 4, 10);
        Assert.That(other.Values(), Is.Not.EqualTo(trained.Values()));
        other.Task.LoadParameters(_folder);
        Assert.That(other.Values(), Is.EqualTo(trained.Values()));
        Assert.That(other.Task.Evaluate(examples, 4), Is.EquivalentTo(trained.Task.Evaluate(examples, 4)));
    }

    [Test]
    public void HeadOnly_SavesAndLoadsTheHeadAlone()
    {
        var identity = TrainerRigs.IdentityOf(Bert, "bert", "embeddings.word_embeddings.weight");
        using var model = BertModel.Load(new CpuBackend(), Bert, DType.F32);
        using var head = new ClassificationHead(model.Backend, model.Config.HiddenSize, 2, seed: 1);
        using var classifier = new PromptClassifier(model, null, head, new PromptClassifierOptions(new AdamWSettings()));
        var task = new ClassificationTask(classifier, new ExampleBatcher(TrainerRigs.BertTokenizer(), 8, 2, TrainerRigs.ClassLabels), TrainerRigs.ClassLabels, identity);
        task.SaveParameters(_folder);
        Assert.That(Directory.GetFiles(_folder).Select(Path.GetFileName), Is.EqualTo(new[] { ClassificationTask.HeadFileName }));

        using var otherHead = new ClassificationHead(model.Backend, model.Config.HiddenSize, 2, seed: 2);
        using var otherClassifier = new PromptClassifier(model, null, otherHead, new PromptClassifierOptions(new AdamWSettings()));
        new ClassificationTask(otherClassifier, new ExampleBatcher(TrainerRigs.BertTokenizer(), 8, 2, TrainerRigs.ClassLabels), TrainerRigs.ClassLabels, identity).LoadParameters(_folder);
        Assert.That(otherHead.Weight.ToFloatArray(), Is.EqualTo(head.Weight.ToFloatArray()));

        var swapped = new LabelSet(["pos", "neg"]);
        var reordered = new ClassificationTask(otherClassifier, new ExampleBatcher(TrainerRigs.BertTokenizer(), 8, 2, swapped), swapped, identity);
        Assert.That(() => reordered.LoadParameters(_folder), Throws.TypeOf<CheckpointFormatException>().With.Message.Contains("[neg, pos]"));
    }

    [Test]
    public void ABatchWithoutLabels_IsRefused()
    {
        using var rig = new ClassificationRig(Bert, 3, 10);
        var batch = rig.Task.Encode(TrainerRigs.Sentences(2, 5, textToText: false), [0, 1]);
        Assert.That(() => rig.Task.AccumulateGradients(batch with { Labels = null }), Throws.ArgumentException.With.Message.Contains("no labels"));
        Assert.That(() => rig.Task.Evaluate([], 2), Throws.ArgumentException.With.Message.Contains("no examples"));
    }
}
