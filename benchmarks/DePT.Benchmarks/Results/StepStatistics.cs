namespace DePT.Benchmarks.Results;

/// <summary>The median and the 10th/90th percentiles of measured times (linear interpolation between ranks, as numpy's default).</summary>
/// <param name="Median">The 50th percentile.</param>
/// <param name="P10">The 10th percentile.</param>
/// <param name="P90">The 90th percentile.</param>
/// <param name="Count">How many values.</param>
internal readonly record struct StepStatistics(double Median, double P10, double P90, int Count)
{
    /// <summary>Statistics of <paramref name="values"/> (at least one, all finite).</summary>
    public static StepStatistics Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("No measurements.", nameof(values));
        var sorted = values.ToArray();
        foreach (double v in sorted)
            if (!double.IsFinite(v)) throw new ArgumentException($"A measurement is {v}.", nameof(values));
        Array.Sort(sorted);
        return new StepStatistics(Percentile(sorted, 0.5), Percentile(sorted, 0.1), Percentile(sorted, 0.9), sorted.Length);
    }

    /// <summary>The <paramref name="fraction"/> quantile of ascending <paramref name="sorted"/>.</summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double fraction)
    {
        if (sorted.IsEmpty) throw new ArgumentException("No values.", nameof(sorted));
        ArgumentOutOfRangeException.ThrowIfLessThan(fraction, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fraction, 1);
        double rank = fraction * (sorted.Length - 1);
        int low = (int)Math.Floor(rank);
        int high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }
}
