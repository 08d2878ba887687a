using DePT.Metrics;

namespace DePT.Tests.Metrics;

/// <summary>Accuracy, F1 and MCC against hand-computed values, with the degenerate cases.</summary>
public class ClassificationMetricsTests
{
    // TP = 2 (rows 0, 2), TN = 1 (row 4), FP = 1 (row 3), FN = 1 (row 1).
    private static readonly int[] Predicted = [1, 0, 1, 1, 0];
    private static readonly int[] Gold = [1, 1, 1, 0, 0];

    [Test]
    public void HandComputedBinaryCase()
    {
        Assert.That(ClassificationMetrics.Accuracy(Predicted, Gold), Is.EqualTo(0.6).Within(1e-12));
        Assert.That(ClassificationMetrics.BinaryF1(Predicted, Gold), Is.EqualTo(2.0 / 3).Within(1e-12), "2·2 / (2·2 + 1 + 1)");
        Assert.That(ClassificationMetrics.BinaryF1(Predicted, Gold, positiveClass: 0), Is.EqualTo(0.5).Within(1e-12), "2·1 / (2·1 + 1 + 1)");
        Assert.That(ClassificationMetrics.MacroF1(Predicted, Gold, 2), Is.EqualTo(7.0 / 12).Within(1e-12));
        Assert.That(ClassificationMetrics.MatthewsCorrelation(Predicted, Gold, 2), Is.EqualTo(1.0 / 6).Within(1e-12),
            "(TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (2 − 1) / √(3·3·2·2)");
    }

    [Test]
    public void MulticlassMccHandComputed()
    {
        // n = 4, correct = 2, predicted counts (2, 1, 1), gold counts (1, 2, 1):
        // (2·4 − 5) / √((16 − 6)(16 − 6)) = 0.3.
        Assert.That(ClassificationMetrics.MatthewsCorrelation([0, 1, 2, 0], [0, 1, 1, 2], 3), Is.EqualTo(0.3).Within(1e-12));
    }

    [Test]
    public void ConstantPredictionHasZeroMcc()
    {
        var random = new Random(71);
        var gold = Enumerable.Range(0, 50).Select(_ => random.Next(3)).ToArray();
        var constant = Enumerable.Repeat(gold[0], 50).ToArray();

        Assert.That(ClassificationMetrics.MatthewsCorrelation(constant, gold, 3), Is.EqualTo(0));
        Assert.That(ClassificationMetrics.MatthewsCorrelation(gold, constant, 3), Is.EqualTo(0));
    }

    [Test]
    public void PerfectAndInvertedPredictions()
    {
        var random = new Random(72);
        var gold = Enumerable.Range(0, 40).Select(_ => random.Next(2)).ToArray();
        var inverted = gold.Select(g => 1 - g).ToArray();

        Assert.That(ClassificationMetrics.Accuracy(gold, gold), Is.EqualTo(1));
        Assert.That(ClassificationMetrics.MacroF1(gold, gold, 2), Is.EqualTo(1));
        Assert.That(ClassificationMetrics.MatthewsCorrelation(gold, gold, 2), Is.EqualTo(1).Within(1e-12));
        Assert.That(ClassificationMetrics.MatthewsCorrelation(inverted, gold, 2), Is.EqualTo(-1).Within(1e-12));
        Assert.That(ClassificationMetrics.BinaryF1(inverted, gold), Is.EqualTo(0));
    }

    [Test]
    public void F1WithNoPositivesAnywhereIsZero()
    {
        Assert.That(ClassificationMetrics.BinaryF1([0, 0, 0], [0, 0, 0]), Is.EqualTo(0));
        Assert.That(ClassificationMetrics.MacroF1([0, 0], [0, 0], 3), Is.EqualTo(1.0 / 3), "classes 1 and 2 absent score 0");
    }

    [Test]
    public void MismatchedLengthsEmptyInputsAndOutOfRangeClassesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Accuracy([1, 0], [1]));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Accuracy([], []));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.MacroF1([0, 3], [0, 1], 3));
        Assert.That(error!.Message, Does.Contain("predictions[1] = 3"));
    }
}
