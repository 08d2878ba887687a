using System.Numerics.Tensors;

namespace DePT.Metrics;

/// <summary>Correlations of predicted scores with gold scores (regression tasks such as STS-B).</summary>
public static class CorrelationMetrics
{
    /// <summary>Pearson's r. Returns 0, not NaN, when either side is constant (including a single row): a
    /// constant prediction explains nothing, and a NaN would poison best-checkpoint comparisons.</summary>
    public static double Pearson(ReadOnlySpan<double> predictions, ReadOnlySpan<double> gold)
    {
        MetricGuards.SameNonZeroLength(predictions.Length, gold.Length);
        // Tested on the values, not the variance: a rounded mean leaves a constant side a variance of ~1e-32.
        if (IsConstant(predictions) || IsConstant(gold))
            return 0;
        double predictedMean = TensorPrimitives.Sum(predictions) / predictions.Length;
        double goldMean = TensorPrimitives.Sum(gold) / gold.Length;
        double covariance = 0, predictedVariance = 0, goldVariance = 0;
        for (int i = 0; i < predictions.Length; i++)
        {
            double dp = predictions[i] - predictedMean, dg = gold[i] - goldMean;
            covariance += dp * dg;
            predictedVariance += dp * dp;
            goldVariance += dg * dg;
        }
        // Rounding can carry |r| a hair past 1 for perfectly (anti)correlated data.
        return Math.Clamp(covariance / Math.Sqrt(predictedVariance * goldVariance), -1, 1);
    }

    /// <summary>Spearman's ρ: Pearson's r of the ranks, tied values sharing the average of their ranks. 0 when
    /// either side is constant, as <see cref="Pearson"/>.</summary>
    public static double Spearman(ReadOnlySpan<double> predictions, ReadOnlySpan<double> gold)
    {
        MetricGuards.SameNonZeroLength(predictions.Length, gold.Length);
        return Pearson(AverageRanks(predictions), AverageRanks(gold));
    }

    private static bool IsConstant(ReadOnlySpan<double> values)
    {
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] != values[0])
                return false;
        }
        return true;
    }

    /// <summary>1-based ranks; a run of equal values gets the mean of the ranks it spans.</summary>
    internal static double[] AverageRanks(ReadOnlySpan<double> values)
    {
        var order = new int[values.Length];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        var keys = values.ToArray();
        Array.Sort(keys, order);
        var ranks = new double[values.Length];
        int start = 0;
        while (start < keys.Length)
        {
            int end = start + 1;
            while (end < keys.Length && keys[end] == keys[start])
                end++;
            double averageRank = (start + 1 + end) / 2.0;
            for (int k = start; k < end; k++)
                ranks[order[k]] = averageRank;
            start = end;
        }
        return ranks;
    }
}
