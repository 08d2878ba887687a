namespace DePT.IO;

/// <summary>A tensor asked for by name that the file (or model folder) does not hold.</summary>
public sealed class TensorNotFoundException : KeyNotFoundException
{
    /// <summary>Creates the exception with a message naming the tensor, the source and the closest names.</summary>
    /// <param name="tensorName">The name asked for.</param>
    /// <param name="source">The file or folder searched.</param>
    /// <param name="closestNames">Names present in the source that look most like <paramref name="tensorName"/>.</param>
    public TensorNotFoundException(string tensorName, string source, IReadOnlyList<string> closestNames)
        : base(Compose(tensorName, source, closestNames))
    {
        TensorName = tensorName;
        SourcePath = source;
        ClosestNames = closestNames;
    }

    /// <summary>The name that was not found.</summary>
    public string TensorName { get; }

    /// <summary>The file or folder that was searched.</summary>
    public string SourcePath { get; }

    /// <summary>Present names closest to <see cref="TensorName"/> by edit distance, best first.</summary>
    public IReadOnlyList<string> ClosestNames { get; }

    private static string Compose(string tensorName, string source, IReadOnlyList<string> closestNames) =>
        closestNames.Count == 0
            ? $"Tensor '{tensorName}' not found in '{source}', which holds no tensors."
            : $"Tensor '{tensorName}' not found in '{source}'. Closest names: {string.Join(", ", closestNames.Select(n => $"'{n}'"))}.";
}
