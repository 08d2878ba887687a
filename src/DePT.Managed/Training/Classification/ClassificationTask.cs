using DePT.Backends;
using DePT.Checkpoints;
using DePT.Data;
using DePT.Metrics;

namespace DePT.Training.Classification;

/// <summary>
/// A <see cref="PromptClassifier"/> as a <see cref="ITrainingTask"/>: label-column data, scored by accuracy, macro F1,
/// Matthews correlation (and binary F1 for two classes), saved as <see cref="PromptFileName"/> (when there is a prompt)
/// and <see cref="HeadFileName"/>.
/// </summary>
public sealed class ClassificationTask : ITrainingTask
{
    /// <summary>The prompt's file name inside a checkpoint folder.</summary>
    public const string PromptFileName = "prompt.safetensors";

    /// <summary>The head's file name inside a checkpoint folder.</summary>
    public const string HeadFileName = "head.safetensors";

    private readonly PromptClassifier _classifier;
    private readonly ExampleBatcher _batcher;
    private readonly LabelSet _labels;
    private readonly ModelIdentity _model;

    /// <summary>Wraps <paramref name="classifier"/>; <paramref name="batcher"/> must carry <paramref name="labels"/>.</summary>
    public ClassificationTask(PromptClassifier classifier, ExampleBatcher batcher, LabelSet labels, ModelIdentity model)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(batcher);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(model);
        if (labels.Count != classifier.Head.ClassCount)
            throw new ArgumentException($"{labels.Count} labels for a head of {classifier.Head.ClassCount} classes.", nameof(labels));
        _classifier = classifier;
        _batcher = batcher;
        _labels = labels;
        _model = model;
        Metrics = labels.Count == 2
            ? [MetricKind.Accuracy, MetricKind.BinaryF1, MetricKind.MacroF1, MetricKind.MatthewsCorrelation]
            : [MetricKind.Accuracy, MetricKind.MacroF1, MetricKind.MatthewsCorrelation];
    }

    /// <inheritdoc />
    public IBackend Backend => _classifier.Encoder.Backend;

    /// <inheritdoc />
    public IOptimizer Optimizer => _classifier.Optimizer;

    /// <inheritdoc />
    public IReadOnlyList<MetricKind> Metrics { get; }

    /// <inheritdoc />
    public EncodedBatch Encode(IReadOnlyList<Example> examples, ReadOnlySpan<int> indices) => _batcher.Encode(examples, indices);

    /// <inheritdoc />
    public float AccumulateGradients(EncodedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var labels = batch.Labels ?? throw new ArgumentException("the batch has no labels; this task trains on a label column.", nameof(batch));
        return _classifier.AccumulateGradients(batch.Inputs, labels);
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<MetricKind, double> Evaluate(IReadOnlyList<Example> examples, int batchSize)
    {
        var (predicted, gold) = Predict(examples, batchSize);
        var metrics = new Dictionary<MetricKind, double>
        {
            [MetricKind.Accuracy] = ClassificationMetrics.Accuracy(predicted, gold),
            [MetricKind.MacroF1] = ClassificationMetrics.MacroF1(predicted, gold, _labels.Count),
            [MetricKind.MatthewsCorrelation] = ClassificationMetrics.MatthewsCorrelation(predicted, gold, _labels.Count),
        };
        if (_labels.Count == 2) metrics[MetricKind.BinaryF1] = ClassificationMetrics.BinaryF1(predicted, gold);
        return metrics;
    }

    /// <summary>The predicted and gold class of every example, in order.</summary>
    /// <exception cref="ArgumentException">There are no examples, or one has no label or an unknown one.</exception>
    public (int[] Predicted, int[] Gold) Predict(IReadOnlyList<Example> examples, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (examples.Count == 0) throw new ArgumentException("there are no examples to evaluate.", nameof(examples));
        var predicted = new int[examples.Count];
        var gold = new int[examples.Count];
        for (int start = 0; start < examples.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, examples.Count - start);
            var batch = _batcher.Encode(examples, Enumerable.Range(start, count).ToArray());
            _classifier.Predict(batch.Inputs).CopyTo(predicted, start);
            batch.Labels!.CopyTo(gold, start);
        }
        return (predicted, gold);
    }

    /// <inheritdoc />
    public void SaveParameters(string folder)
    {
        if (_classifier.Prompt is { } prompt) PromptFile.Save(Path.Combine(folder, PromptFileName), prompt, _model);
        ClassificationHeadFile.Save(Path.Combine(folder, HeadFileName), _classifier.Head, _labels, _model);
    }

    /// <inheritdoc />
    public void LoadParameters(string folder)
    {
        if (_classifier.Prompt is { } prompt) PromptFile.LoadInto(Path.Combine(folder, PromptFileName), prompt, _model);
        ClassificationHeadFile.LoadInto(Path.Combine(folder, HeadFileName), _classifier.Head, _labels, _model);
    }
}
