namespace DePT.Metrics;

/// <summary>The metrics a task can be scored and its best checkpoint chosen by.</summary>
public enum MetricKind
{
    /// <summary>Fraction of predictions equal to the gold label (<see cref="ClassificationMetrics.Accuracy"/>).</summary>
    Accuracy,

    /// <summary>F1 of the positive class (<see cref="ClassificationMetrics.BinaryF1"/>).</summary>
    BinaryF1,

    /// <summary>Unweighted mean of per-class F1 (<see cref="ClassificationMetrics.MacroF1"/>).</summary>
    MacroF1,

    /// <summary>Matthews correlation coefficient (<see cref="ClassificationMetrics.MatthewsCorrelation"/>).</summary>
    MatthewsCorrelation,

    /// <summary>Pearson correlation (<see cref="CorrelationMetrics.Pearson"/>).</summary>
    Pearson,

    /// <summary>Spearman rank correlation (<see cref="CorrelationMetrics.Spearman"/>).</summary>
    Spearman,

    /// <summary>Fraction of normalised answers equal to the gold (<see cref="TextMetrics.ExactMatch(IReadOnlyList{string}, IReadOnlyList{string})"/>).</summary>
    ExactMatch,

    /// <summary>Mean token-overlap F1 of normalised answers (<see cref="TextMetrics.TokenF1(IReadOnlyList{string}, IReadOnlyList{string})"/>).</summary>
    TokenF1,
}
