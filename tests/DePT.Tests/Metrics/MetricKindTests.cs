using DePT.Metrics;

namespace DePT.Tests.Metrics;

/// <summary>Best-checkpoint comparisons and the names files and the command line use.</summary>
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

    [Test]
    public void FileNamesAreSnakeCase_AndParseBackForEveryKind()
    {
        var expected = new Dictionary<MetricKind, string>
        {
            [MetricKind.Accuracy] = "accuracy",
            [MetricKind.BinaryF1] = "binary_f1",
            [MetricKind.MacroF1] = "macro_f1",
            [MetricKind.MatthewsCorrelation] = "matthews_correlation",
            [MetricKind.Pearson] = "pearson",
            [MetricKind.Spearman] = "spearman",
            [MetricKind.ExactMatch] = "exact_match",
            [MetricKind.TokenF1] = "token_f1",
        };
        Assert.That(Enum.GetValues<MetricKind>(), Is.EquivalentTo(expected.Keys), "a new kind needs its name here");
        foreach (var kind in Enum.GetValues<MetricKind>())
        {
            string name = kind.FileName();
            Assert.That(name, Is.EqualTo(expected[kind]));
            Assert.That(MetricKindExtensions.TryParse(name, out var parsed), Is.True, name);
            Assert.That(parsed, Is.EqualTo(kind));
            Assert.That(MetricKindExtensions.TryParse(name.ToUpperInvariant(), out parsed) && parsed == kind, Is.True, $"{name} in upper case");
        }
        Assert.That(MetricKindExtensions.AllFileNames(), Is.EqualTo(string.Join(", ", Enum.GetValues<MetricKind>().Select(k => expected[k]))));
    }

    [TestCase("")]
    [TestCase("MacroF1")]
    [TestCase("macro-f1")]
    [TestCase("perplexity")]
    public void UnknownNamesDoNotParse(string name)
    {
        Assert.That(MetricKindExtensions.TryParse(name, out var kind), Is.False);
        Assert.That(kind, Is.EqualTo(default(MetricKind)));
    }
}
