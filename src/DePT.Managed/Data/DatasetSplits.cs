namespace DePT.Data;

/// <summary>Train, validation and test examples.</summary>
/// <param name="Train">Rows to train on.</param>
/// <param name="Validation">Rows to pick the best checkpoint on.</param>
/// <param name="Test">Rows to report on.</param>
public sealed record DatasetSplits(IReadOnlyList<Example> Train, IReadOnlyList<Example> Validation, IReadOnlyList<Example> Test);
