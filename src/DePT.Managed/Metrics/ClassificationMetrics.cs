namespace DePT.Metrics;

/// <summary>Scores of predicted class indices against gold class indices.</summary>
public static class ClassificationMetrics
{
    /// <summary>Fraction of rows where the prediction equals the gold label.</summary>
    public static double Accuracy(ReadOnlySpan<int> predictions, ReadOnlySpan<int> gold)
    {
        MetricGuards.SameNonZeroLength(predictions.Length, gold.Length);
        int correct = 0;
        for (int i = 0; i < predictions.Length; i++)
            correct += predictions[i] == gold[i] ? 1 : 0;
        return (double)correct / predictions.Length;
    }

    /// <summary>F1 of class <paramref name="positiveClass"/>: 2·TP / (2·TP + FP + FN); 0 when there are neither
    /// gold nor predicted positives (TP + FP + FN = 0), as scikit-learn's zero_division=0.</summary>
    public static double BinaryF1(ReadOnlySpan<int> predictions, ReadOnlySpan<int> gold, int positiveClass = 1)
    {
        MetricGuards.SameNonZeroLength(predictions.Length, gold.Length);
        return ClassF1(predictions, gold, positiveClass);
    }

    /// <summary>Unweighted mean of each class's F1 over classes 0 … <paramref name="classCount"/> − 1 (a class
    /// absent from both gold and predictions scores 0).</summary>
    public static double MacroF1(ReadOnlySpan<int> predictions, ReadOnlySpan<int> gold, int classCount)
    {
        MetricGuards.SameNonZeroLength(predictions.Length, gold.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        CheckRange(predictions, classCount, nameof(predictions));
        CheckRange(gold, classCount, nameof(gold));
        double sum = 0;
        for (int c = 0; c < classCount; c++)
            sum += ClassF1(predictions, gold, c);
        return sum / classCount;
    }

    /// <summary>Matthews correlation coefficient, in its multi-class form (Gorodkin's R_K, equal to the binary
    /// formula for two classes). 0 when the predictions or the gold labels are constant: the denominator is 0
    /// there and such a predictor carries no information about the gold labels.</summary>
    public static double MatthewsCorrelation(ReadOnlySpan<int> predictions, ReadOnlySpan<int> gold, int classCount)
    {
        MetricGuards.SameNonZeroLength(predictions.Length, gold.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        CheckRange(predictions, classCount, nameof(predictions));
        CheckRange(gold, classCount, nameof(gold));
        var predictedCounts = new double[classCount];
        var goldCounts = new double[classCount];
        double correct = 0;
        for (int i = 0; i < predictions.Length; i++)
        {
            predictedCounts[predictions[i]]++;
            goldCounts[gold[i]]++;
            correct += predictions[i] == gold[i] ? 1 : 0;
        }
        double n = predictions.Length;
        double crossed = 0, predictedSquares = 0, goldSquares = 0;
        for (int c = 0; c < classCount; c++)
        {
            crossed += predictedCounts[c] * goldCounts[c];
            predictedSquares += predictedCounts[c] * predictedCounts[c];
            goldSquares += goldCounts[c] * goldCounts[c];
        }
        double denominator = Math.Sqrt((n * n - predictedSquares) * (n * n - goldSquares));
        return denominator == 0 ? 0 : (correct * n - crossed) / denominator;
    }

    private static double ClassF1(ReadOnlySpan<int> predictions, ReadOnlySpan<int> gold, int positive)
    {
        int truePositives = 0, falsePositives = 0, falseNegatives = 0;
        for (int i = 0; i < predictions.Length; i++)
        {
            bool predicted = predictions[i] == positive, actual = gold[i] == positive;
            if (predicted && actual)
                truePositives++;
            else if (predicted)
                falsePositives++;
            else if (actual)
                falseNegatives++;
        }
        int denominator = 2 * truePositives + falsePositives + falseNegatives;
        return denominator == 0 ? 0 : 2.0 * truePositives / denominator;
    }

    private static void CheckRange(ReadOnlySpan<int> classes, int classCount, string name)
    {
        for (int i = 0; i < classes.Length; i++)
        {
            if ((uint)classes[i] >= (uint)classCount)
                throw new ArgumentOutOfRangeException(name, $"{name}[{i}] = {classes[i]} is not a class index in [0, {classCount}).");
        }
    }
}
