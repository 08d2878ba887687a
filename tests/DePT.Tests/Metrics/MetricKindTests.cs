using DePT.Metrics;

namespace DePT.Tests.Metrics;

/// <summary>Best-checkpoint comparisons.</summary>
public class MetricKindTests
{
    [Test]
    public void EveryKindIsHigherIsBetter()
    {
        foreach (var kind in Enum.GetValues<MetricKind>())
            Assert.That(kind.HigherIsBetter(), Is.True, kind.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((MetricKind)99).HigherIsBetter());
    }

    [Test]
    public void IsBetterPrefersLargerAndHandlesNaN()
    {
        Assert.That(MetricKind.Accuracy.IsBetter(0.81, 0.8), Is.True);
        Assert.That(MetricKind.Accuracy.IsBetter(0.8, 0.8), Is.False, "a tie keeps the earlier checkpoint");
        Assert.That(MetricKind.Pearson.IsBetter(-0.2, double.NaN), Is.True);
        Assert.That(MetricKind.Pearson.IsBetter(double.NaN, -0.9), Is.False);
    }
}
