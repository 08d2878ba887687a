namespace DePT.Data;

/// <summary>What <see cref="DatasetReader"/> does with a malformed row (bad JSON, wrong column count,
/// missing field, empty input).</summary>
public enum MalformedRowPolicy
{
    /// <summary>Throw a <see cref="DatasetFormatException"/> naming the file and line.</summary>
    Fail,

    /// <summary>Leave the row out, count it and list the first few in <see cref="Dataset.SkippedRows"/>.</summary>
    Skip,
}
