namespace DePT.Data;

/// <summary>File layouts <see cref="DatasetReader"/> reads.</summary>
public enum DatasetFormat
{
    /// <summary>One JSON object per line (.jsonl, .json).</summary>
    JsonLines,

    /// <summary>Comma-separated with a header row and RFC 4180 quoting (.csv).</summary>
    Csv,

    /// <summary>Tab-separated with a header row and no quoting (.tsv).</summary>
    Tsv,
}
