namespace DePT.IO;

/// <summary>Picks the present names that look most like a missing one, for "did you mean" messages.</summary>
internal static class NameSuggestions
{
    /// <summary>Up to <paramref name="count"/> of <paramref name="candidates"/>, closest to <paramref name="name"/> first.</summary>
    public static IReadOnlyList<string> Closest(string name, IEnumerable<string> candidates, int count = 5) =>
        candidates
            .Select(candidate => (candidate, distance: EditDistance(name, candidate)))
            .OrderBy(pair => pair.distance)
            .ThenBy(pair => pair.candidate, StringComparer.Ordinal)
            .Take(count)
            .Select(pair => pair.candidate)
            .ToArray();

    /// <summary>Levenshtein distance with two rolling rows; only runs on the error path.</summary>
    internal static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
