namespace DePT.Data;

/// <summary>What a row must carry besides its input.</summary>
public enum ExampleKind
{
    /// <summary>A target text, for T5 text-to-text.</summary>
    TextToText,

    /// <summary>A class label, for encoders with a classification head.</summary>
    Classification,
}
