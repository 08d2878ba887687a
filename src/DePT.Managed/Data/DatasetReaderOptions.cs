namespace DePT.Data;

/// <summary>How <see cref="DatasetReader"/> maps fields or columns to an <see cref="Example"/>.</summary>
public sealed record DatasetReaderOptions
{
    /// <summary>Whether rows carry a target text or a label.</summary>
    public ExampleKind Kind { get; init; } = ExampleKind.TextToText;

    /// <summary>Names tried, in order, for the input field; the first one a file has is used.</summary>
    public IReadOnlyList<string> InputFields { get; init; } = ["input", "text", "sentence"];

    /// <summary>The target text field (<see cref="ExampleKind.TextToText"/>).</summary>
    public string TargetField { get; init; } = "target";

    /// <summary>The label field (<see cref="ExampleKind.Classification"/>).</summary>
    public string LabelField { get; init; } = "label";

    /// <summary>When set, a label outside it is an error naming the label and line.</summary>
    public LabelSet? Labels { get; init; }

    /// <summary>Fail on the first malformed row, or skip and count them.</summary>
    public MalformedRowPolicy MalformedRows { get; init; } = MalformedRowPolicy.Fail;

    /// <summary>How many skipped rows <see cref="Dataset.SkippedRows"/> lists.</summary>
    public int SkippedRowsListed { get; init; } = 5;

    /// <summary>The layout; null picks it from the file extension.</summary>
    public DatasetFormat? Format { get; init; }
}
