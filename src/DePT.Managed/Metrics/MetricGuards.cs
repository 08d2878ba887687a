namespace DePT.Metrics;

internal static class MetricGuards
{
    public static void SameNonZeroLength(int predictions, int gold)
    {
        if (predictions != gold)
            throw new ArgumentException($"{predictions} predictions for {gold} gold values; the counts must match.");
        if (predictions == 0)
            throw new ArgumentException("No predictions to score.");
    }
}
