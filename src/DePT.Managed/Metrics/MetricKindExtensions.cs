namespace DePT.Metrics;

/// <summary>How to compare values of a <see cref="MetricKind"/> when keeping the best checkpoint.</summary>
public static class MetricKindExtensions
{
    /// <summary>Whether a larger value is a better model. True for every kind today (all are scores, none is a
    /// loss); the flag keeps checkpoint selection right if a lower-is-better kind is added.</summary>
    public static bool HigherIsBetter(this MetricKind kind) => kind switch
    {
        MetricKind.Accuracy or MetricKind.BinaryF1 or MetricKind.MacroF1 or MetricKind.MatthewsCorrelation
            or MetricKind.Pearson or MetricKind.Spearman or MetricKind.ExactMatch or MetricKind.TokenF1 => true,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown metric kind."),
    };

    /// <summary>Whether <paramref name="candidate"/> beats <paramref name="best"/>; a NaN never beats anything and
    /// anything finite beats a NaN best, so the first real score is always kept.</summary>
    public static bool IsBetter(this MetricKind kind, double candidate, double best)
    {
        if (double.IsNaN(candidate))
            return false;
        if (double.IsNaN(best))
            return true;
        return kind.HigherIsBetter() ? candidate > best : candidate < best;
    }
}
