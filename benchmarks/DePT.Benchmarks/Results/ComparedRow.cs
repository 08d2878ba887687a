namespace DePT.Benchmarks.Results;

/// <summary>
/// A row of the merged table with its ratios: DePT/PT against the PT row of the same implementation, model, batch and
/// padding; and, on rows of other implementations, ours/this for the same method. Null where the partner row is missing
/// or failed.
/// </summary>
internal sealed record ComparedRow(BenchRow Row, string Implementation, bool IsOurs,
    double? DeptOverPtTime, double? DeptOverPtMemory, double? OursOverThisTime, double? OursOverThisMemory);
