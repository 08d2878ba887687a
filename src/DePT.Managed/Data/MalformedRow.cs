namespace DePT.Data;

/// <summary>A row that could not be read.</summary>
/// <param name="SourceFile">The file.</param>
/// <param name="LineNumber">The 1-based line the row starts on.</param>
/// <param name="Reason">What is wrong with it.</param>
public sealed record MalformedRow(string SourceFile, int LineNumber, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{SourceFile}:{LineNumber}: {Reason}";
}
