namespace DePT.IO;

/// <summary>
/// The tensors of a model's weights do not match the names the model expects. The message spells out the first
/// few missing and unexpected names with their counts; <see cref="Missing"/> and <see cref="Unexpected"/> hold all.
/// It derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed.
/// </summary>
public sealed class WeightsMismatchException : IOException
{
    /// <summary>Creates the exception with a message naming <paramref name="source"/> and the differences.</summary>
    /// <param name="source">The weights file or folder.</param>
    /// <param name="missing">Expected names the weights lack.</param>
    /// <param name="unexpected">Names in the weights that were not expected (empty when extras are allowed).</param>
    public WeightsMismatchException(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected)
        : base(Compose(source, missing, unexpected))
    {
        SourcePath = source;
        Missing = missing;
        Unexpected = unexpected;
    }

    /// <summary>The weights file or folder that was checked.</summary>
    public string SourcePath { get; }

    /// <summary>Every expected name absent from the weights, in ordinal order.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Every name in the weights that was not expected, in ordinal order.</summary>
    public IReadOnlyList<string> Unexpected { get; }

    private static string Compose(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected)
    {
        var parts = new List<string>(2);
        if (missing.Count > 0)
        {
            parts.Add($"{missing.Count} missing: {NameList.Format(missing)}");
        }
        if (unexpected.Count > 0)
        {
            parts.Add($"{unexpected.Count} unexpected: {NameList.Format(unexpected)}");
        }
        return $"The weights in '{source}' do not match the model's tensor names; {string.Join("; ", parts)}.";
    }
}
