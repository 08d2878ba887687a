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

    /// <summary>The name files and the command line use: snake_case of the kind ("accuracy", "macro_f1", "matthews_correlation").</summary>
    public static string FileName(this MetricKind kind)
    {
        var name = new System.Text.StringBuilder();
        foreach (char c in kind.ToString())
        {
            if (char.IsUpper(c) && name.Length > 0) name.Append('_');
            name.Append(char.ToLowerInvariant(c));
        }
        return name.ToString();
    }

    /// <summary>The kind whose <see cref="FileName"/> is <paramref name="name"/> (case-insensitive); false when none is.</summary>
    public static bool TryParse(string name, out MetricKind kind)
    {
        foreach (var candidate in Enum.GetValues<MetricKind>())
        {
            if (string.Equals(candidate.FileName(), name, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }
        kind = default;
        return false;
    }

    /// <summary>Every kind's <see cref="FileName"/>, comma-separated, for messages.</summary>
    public static string AllFileNames() => string.Join(", ", Enum.GetValues<MetricKind>().Select(k => k.FileName()));
}
