using System.Text;

namespace DePT.Metrics;

/// <summary>SQuAD-style scores of generated answers against gold answers, after normalising both: lower case,
/// ASCII punctuation removed, the articles "a", "an", "the" removed, whitespace collapsed.</summary>
public static class TextMetrics
{
    private static readonly HashSet<string> Articles = new(StringComparer.Ordinal) { "a", "an", "the" };

    /// <summary>The normalised text: lower case, no punctuation, no articles, single spaces.</summary>
    public static string Normalize(string text) => string.Join(' ', NormalizedTokens(text));

    /// <summary>1 when the normalised texts are equal, else 0.</summary>
    public static double ExactMatch(string prediction, string gold)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(gold);
        return Normalize(prediction) == Normalize(gold) ? 1 : 0;
    }

    /// <summary>F1 of the bag-of-tokens overlap of the normalised texts. When either side has no tokens the
    /// score is 1 if both are empty, else 0 (the SQuAD 2.0 rule for unanswerable questions).</summary>
    public static double TokenF1(string prediction, string gold)
    {
        var predicted = NormalizedTokens(prediction);
        var actual = NormalizedTokens(gold);
        if (predicted.Count == 0 || actual.Count == 0)
            return predicted.Count == actual.Count ? 1 : 0;
        var goldCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in actual)
            goldCounts[token] = goldCounts.GetValueOrDefault(token) + 1;
        int common = 0;
        foreach (var token in predicted)
        {
            if (goldCounts.TryGetValue(token, out int left) && left > 0)
            {
                common++;
                goldCounts[token] = left - 1;
            }
        }
        if (common == 0)
            return 0;
        double precision = (double)common / predicted.Count, recall = (double)common / actual.Count;
        return 2 * precision * recall / (precision + recall);
    }

    /// <summary>Mean <see cref="ExactMatch(string, string)"/> over pairs.</summary>
    public static double ExactMatch(IReadOnlyList<string> predictions, IReadOnlyList<string> gold) =>
        Mean(predictions, gold, ExactMatch);

    /// <summary>Mean <see cref="TokenF1(string, string)"/> over pairs.</summary>
    public static double TokenF1(IReadOnlyList<string> predictions, IReadOnlyList<string> gold) =>
        Mean(predictions, gold, TokenF1);

    private static double Mean(IReadOnlyList<string> predictions, IReadOnlyList<string> gold, Func<string, string, double> score)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(gold);
        MetricGuards.SameNonZeroLength(predictions.Count, gold.Count);
        double sum = 0;
        for (int i = 0; i < predictions.Count; i++)
            sum += score(predictions[i], gold[i]);
        return sum / predictions.Count;
    }

    private static List<string> NormalizedTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var kept = new StringBuilder(text.Length);
        foreach (char c in text.ToLowerInvariant())
        {
            // ASCII punctuation and symbols together are exactly Python's string.punctuation, which SQuAD strips.
            if (!(char.IsAscii(c) && (char.IsPunctuation(c) || char.IsSymbol(c))))
                kept.Append(c);
        }
        var tokens = new List<string>();
        foreach (var token in kept.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Articles.Contains(token))
                tokens.Add(token);
        }
        return tokens;
    }
}
