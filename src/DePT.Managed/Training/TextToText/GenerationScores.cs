using DePT.Data;
using DePT.Metrics;

namespace DePT.Training.TextToText;

/// <summary>
/// How a text-generating task is scored: exact match and token F1 always, and accuracy, macro F1 and Matthews
/// correlation (binary F1 for two) over the label words when the task has them. A generation that is not one of the
/// label words counts as a class of its own, wrong for every row.
/// </summary>
internal static class GenerationScores
{
    /// <summary>The metrics reported with or without label words.</summary>
    public static IReadOnlyList<MetricKind> Kinds(LabelSet? labelWords)
    {
        var metrics = new List<MetricKind> { MetricKind.ExactMatch, MetricKind.TokenF1 };
        if (labelWords is not null)
        {
            metrics.AddRange([MetricKind.Accuracy, MetricKind.MacroF1, MetricKind.MatthewsCorrelation]);
            if (labelWords.Count == 2) metrics.Add(MetricKind.BinaryF1);
        }
        return metrics;
    }

    /// <summary>The scores of <paramref name="generated"/> against the examples' targets.</summary>
    /// <exception cref="ArgumentException">A row has no target, or (with label words) a target that is none of them.</exception>
    public static Dictionary<MetricKind, double> Score(string[] generated, IReadOnlyList<Example> examples, LabelSet? labelWords)
    {
        string[] gold = examples.Select(e => e.Target ?? throw new ArgumentException($"{e.SourceFile}:{e.LineNumber}: the row has no target text.", nameof(examples))).ToArray();
        var metrics = new Dictionary<MetricKind, double>
        {
            [MetricKind.ExactMatch] = TextMetrics.ExactMatch(generated, gold),
            [MetricKind.TokenF1] = TextMetrics.TokenF1(generated, gold),
        };
        if (labelWords is { } words)
        {
            // a generation that is no label word is its own class (index C): wrong for every row, and not averaged into macro F1
            int[] predicted = generated.Select(text => ClassOf(words, text) ?? words.Count).ToArray();
            int[] expected = examples.Select(e => ClassOf(words, e.Target!)
                ?? throw new ArgumentException($"{e.SourceFile}:{e.LineNumber}: the target \"{e.Target}\" is none of the label words ({string.Join(", ", words.Labels)}).", nameof(examples))).ToArray();
            metrics[MetricKind.Accuracy] = ClassificationMetrics.Accuracy(predicted, expected);
            metrics[MetricKind.MacroF1] = Enumerable.Range(0, words.Count).Average(c => ClassificationMetrics.BinaryF1(predicted, expected, c));
            metrics[MetricKind.MatthewsCorrelation] = ClassificationMetrics.MatthewsCorrelation(predicted, expected, words.Count + 1);
            if (words.Count == 2) metrics[MetricKind.BinaryF1] = ClassificationMetrics.BinaryF1(predicted, expected);
        }
        return metrics;
    }

    private static int? ClassOf(LabelSet words, string text)
    {
        string normalized = TextMetrics.Normalize(text);
        for (int i = 0; i < words.Count; i++)
            if (TextMetrics.Normalize(words.Labels[i]) == normalized) return i;
        return null;
    }
}
