using DePT.Metrics;

namespace DePT.Tests.Metrics;

/// <summary>Pearson and Spearman against hand-computed values, ties, and the zero-variance rule (0, not NaN).</summary>
public class CorrelationMetricsTests
{
    private static double[] RandomValues(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => random.NextDouble() * 10 - 5).ToArray();

    [Test]
    public void PearsonHandComputed()
    {
        // Deviations (−1.5, −0.5, 0.5, 1.5) and (−3, −1, 0, 4): covariance 11, variances 5 and 26.
        Assert.That(CorrelationMetrics.Pearson([1, 2, 3, 4], [2, 4, 5, 9]), Is.EqualTo(11 / Math.Sqrt(130)).Within(1e-12));
    }

    [Test]
    public void PearsonIsInvariantToAffineMapsAndFlipsSignWithNegation()
    {
        var random = new Random(81);
        var x = RandomValues(random, 64);
        var y = x.Select(v => v + random.NextDouble()).ToArray();
        double r = CorrelationMetrics.Pearson(x, y);

        Assert.That(r, Is.GreaterThan(0.5).And.LessThan(1));
        Assert.That(CorrelationMetrics.Pearson(x.Select(v => 3 * v + 7).ToArray(), y), Is.EqualTo(r).Within(1e-12));
        Assert.That(CorrelationMetrics.Pearson(x.Select(v => -v).ToArray(), y), Is.EqualTo(-r).Within(1e-12));
    }

    [Test]
    public void ZeroVarianceGivesZeroNotNaN()
    {
        var random = new Random(82);
        var y = RandomValues(random, 10);
        var constant = Enumerable.Repeat(y[3], 10).ToArray();

        Assert.That(CorrelationMetrics.Pearson(constant, y), Is.EqualTo(0));
        Assert.That(CorrelationMetrics.Pearson(y, constant), Is.EqualTo(0));
        Assert.That(CorrelationMetrics.Spearman(constant, y), Is.EqualTo(0));
        Assert.That(CorrelationMetrics.Pearson([2.5], [1.0]), Is.EqualTo(0), "a single row has no variance");
    }

    [Test]
    public void AverageRanksForTies()
    {
        Assert.That(CorrelationMetrics.AverageRanks([10, 20, 10, 30, 10]), Is.EqualTo(new double[] { 2, 4, 2, 5, 2 }));
        Assert.That(CorrelationMetrics.AverageRanks([0.5, -1, 0.5]), Is.EqualTo(new[] { 2.5, 1, 2.5 }));
    }

    [Test]
    public void SpearmanWithTiesHandComputed()
    {
        // Ranks (1, 2.5, 2.5, 4) and (1, 3, 2, 4): covariance 4.5, variances 4.5 and 5, so ρ = 4.5 / √22.5.
        Assert.That(CorrelationMetrics.Spearman([1, 2, 2, 3], [1, 3, 2, 4]), Is.EqualTo(4.5 / Math.Sqrt(22.5)).Within(1e-12));
    }

    [Test]
    public void SpearmanWithoutTiesMatchesTheRankDifferenceFormula()
    {
        var random = new Random(83);
        var x = RandomValues(random, 30);
        var y = RandomValues(random, 30);
        var rx = CorrelationMetrics.AverageRanks(x);
        var ry = CorrelationMetrics.AverageRanks(y);
        double sumSquares = rx.Zip(ry, (a, b) => (a - b) * (a - b)).Sum();
        double expected = 1 - 6 * sumSquares / (30.0 * (30 * 30 - 1));

        Assert.That(CorrelationMetrics.Spearman(x, y), Is.EqualTo(expected).Within(1e-12));
        Assert.That(CorrelationMetrics.Spearman(x, x.Select(Math.Exp).ToArray()), Is.EqualTo(1).Within(1e-12), "any increasing map");
    }
}
