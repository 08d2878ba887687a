namespace DePT.Data;

/// <summary>One dataset row: the input text and either a target text (T5 text-to-text) or a class label
/// (encoders with a head), with where it came from so later errors can point at the row.</summary>
/// <param name="Input">The input text; never empty.</param>
/// <param name="Target">The target text for text-to-text models; null for classification.</param>
/// <param name="Label">The class label as written in the file; null for text-to-text.</param>
/// <param name="SourceFile">The file the row was read from.</param>
/// <param name="LineNumber">The 1-based line the row starts on.</param>
public sealed record Example(string Input, string? Target, string? Label, string SourceFile, int LineNumber)
{
    /// <summary>The key k-shot sampling balances over: the label, else the target text.</summary>
    public string ClassKey => Label ?? Target ?? string.Empty;
}
