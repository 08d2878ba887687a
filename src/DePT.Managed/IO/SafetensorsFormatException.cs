namespace DePT.IO;

/// <summary>
/// A safetensors file (or a sharded index) whose bytes break the format: the message names the file and,
/// where one is at fault, the tensor. It derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed.
/// </summary>
public sealed class SafetensorsFormatException : IOException
{
    /// <summary>Creates the exception; the message is prefixed with the file and tensor.</summary>
    /// <param name="filePath">The file that is malformed.</param>
    /// <param name="tensorName">The tensor whose entry is at fault, or null for a file-level problem.</param>
    /// <param name="problem">What is wrong, in words.</param>
    /// <param name="innerException">The parser error behind it, if any.</param>
    public SafetensorsFormatException(string filePath, string? tensorName, string problem, Exception? innerException = null)
        : base(Compose(filePath, tensorName, problem), innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The malformed file.</summary>
    public string FilePath { get; }

    /// <summary>The tensor whose header entry or data is at fault; null when the problem is the whole file.</summary>
    public string? TensorName { get; }

    private static string Compose(string filePath, string? tensorName, string problem) =>
        tensorName is null
            ? $"Malformed safetensors file '{filePath}': {problem}"
            : $"Malformed safetensors file '{filePath}', tensor '{tensorName}': {problem}";
}
