namespace DePT.Data;

/// <summary>The examples read from one file, with what was skipped.</summary>
/// <param name="SourceFile">The file.</param>
/// <param name="Examples">The rows that were read, in file order.</param>
/// <param name="SkippedCount">How many malformed rows were skipped.</param>
/// <param name="SkippedRows">The first few skipped rows (see <see cref="DatasetReaderOptions.SkippedRowsListed"/>).</param>
public sealed record Dataset(string SourceFile, IReadOnlyList<Example> Examples, int SkippedCount, IReadOnlyList<MalformedRow> SkippedRows);
