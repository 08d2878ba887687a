namespace DePT.IO;

/// <summary>Formats name lists for error messages: the first few, quoted, then the total.</summary>
internal static class NameList
{
    /// <summary>How many names an error message spells out.</summary>
    internal const int Shown = 10;

    /// <summary><c>'a', 'b', 'c'</c>, or <c>'a', …, 'j' and 27 more (37 in all)</c> for a long list.</summary>
    public static string Format(IReadOnlyCollection<string> names)
    {
        string shown = string.Join(", ", names.Take(Shown).Select(n => $"'{n}'"));
        return names.Count <= Shown ? shown : $"{shown} and {names.Count - Shown} more ({names.Count} in all)";
    }
}
