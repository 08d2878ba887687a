namespace DePT.Data.Sources;

/// <summary>One UCI sentiment sentence with the site it came from.</summary>
/// <param name="Example">The sentence as a classification example: Input is the sentence, Label "0"
/// (negative) or "1" (positive), SourceFile the fixture file, LineNumber the 1-based record index.</param>
/// <param name="Source">The site the sentence was taken from.</param>
public sealed record SentimentSentence(Example Example, SentimentSource Source);
