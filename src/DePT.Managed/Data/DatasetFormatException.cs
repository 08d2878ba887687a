namespace DePT.Data;

/// <summary>A dataset file that cannot be used: a malformed row (under <see cref="MalformedRowPolicy.Fail"/>),
/// an unknown label, or no rows at all. The message names the file and, where there is one, the line.</summary>
public sealed class DatasetFormatException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="sourceFile">The file.</param>
    /// <param name="lineNumber">The 1-based line, or 0 when the problem is the whole file.</param>
    /// <param name="reason">What is wrong.</param>
    public DatasetFormatException(string sourceFile, int lineNumber, string reason)
        : base(lineNumber > 0 ? $"{sourceFile}:{lineNumber}: {reason}" : $"{sourceFile}: {reason}")
    {
        SourceFile = sourceFile;
        LineNumber = lineNumber;
    }

    /// <summary>The file.</summary>
    public string SourceFile { get; }

    /// <summary>The 1-based line, or 0 when the problem is the whole file.</summary>
    public int LineNumber { get; }
}
