using DePT.Metrics;

namespace DePT.Tests.Metrics;

/// <summary>SQuAD-style normalisation, exact match and token F1.</summary>
public class TextMetricsTests
{
    [TestCase("The  Quick, brown fox!", "quick brown fox")]
    [TestCase("An apple a day", "apple day")]
    [TestCase("theory of THE anthem", "theory of anthem")]
    [TestCase("  e-mail's \"cost\": $5 ", "emails cost 5")]
    [TestCase("Café\tNoël", "café noël")]
    public void Normalize(string text, string expected) =>
        Assert.That(TextMetrics.Normalize(text), Is.EqualTo(expected));

    [Test]
    public void ExactMatchComparesNormalisedText()
    {
        Assert.That(TextMetrics.ExactMatch("The Cat.", "cat"), Is.EqualTo(1));
        Assert.That(TextMetrics.ExactMatch("cats", "cat"), Is.EqualTo(0));
        Assert.That(TextMetrics.ExactMatch(["positive", "A dog", "x"], ["Positive!", "dog", "y"]), Is.EqualTo(2.0 / 3).Within(1e-12));
    }

    [Test]
    public void TokenF1HandComputed()
    {
        // Tokens (cat, sat, on, mat) against (cat, on, mat): 3 in common, precision 3/4, recall 1.
        Assert.That(TextMetrics.TokenF1("the cat sat on the mat", "a cat on a mat"), Is.EqualTo(6.0 / 7).Within(1e-12));
        // A repeated token counts only as often as the gold has it: 1 in common, precision 1/3, recall 1/2.
        Assert.That(TextMetrics.TokenF1("red red red", "red blue"), Is.EqualTo(0.4).Within(1e-12));
        Assert.That(TextMetrics.TokenF1("blue", "red"), Is.EqualTo(0));
    }

    [Test]
    public void TokenF1OfEmptyAnswers()
    {
        Assert.That(TextMetrics.TokenF1("the", ""), Is.EqualTo(1), "both normalise to nothing");
        Assert.That(TextMetrics.TokenF1("", "answer"), Is.EqualTo(0));
        Assert.That(TextMetrics.TokenF1("answer", "a"), Is.EqualTo(0));
    }

    [Test]
    public void MeanTokenF1OverPairs()
    {
        Assert.That(TextMetrics.TokenF1(["red red red", "cat"], ["red blue", "the cat"]), Is.EqualTo(0.7).Within(1e-12));
        Assert.Throws<ArgumentException>(() => TextMetrics.TokenF1(["a"], ["a", "b"]));
    }
}
