namespace DePT.Diagnostics;

/// <summary>Error measures used to compare a backend with its reference.</summary>
public static class ErrorMetrics
{
    /// <summary>
    /// ‖actual − expected‖ / max(‖expected‖, floor·√n) in double; infinity when any value is not finite. The floor
    /// (0 by default) sets the smallest scale an element is judged on, for results that cancel to near zero.
    /// </summary>
    public static double Relative(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double floor = 0)
    {
        if (actual.Length != expected.Length)
            throw new ArgumentException($"Compared spans differ in length: {actual.Length} vs {expected.Length}.");
        double diff = 0, norm = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            if (!float.IsFinite(actual[i]) || !float.IsFinite(expected[i])) return double.PositiveInfinity;
            double e = expected[i], d = actual[i] - e;
            diff += d * d;
            norm += e * e;
        }
        norm = Math.Max(norm, floor * floor * actual.Length);
        return norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
    }

    /// <summary>Describes the first <paramref name="count"/> positions where the values differ by more than <paramref name="tolerance"/> relative to the reference's scale.</summary>
    public static string FirstMismatches(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance, int count = 5)
    {
        double scale = 0;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        var lines = new List<string>();
        for (int i = 0; i < actual.Length && lines.Count < count; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance * Math.Max(scale, 1e-30)))
                lines.Add($"[{i}] got {actual[i]:G9}, expected {expected[i]:G9}");
        return lines.Count == 0 ? "no element differs beyond the tolerance" : string.Join("; ", lines);
    }
}
