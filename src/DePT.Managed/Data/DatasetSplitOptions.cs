namespace DePT.Data;

/// <summary>How <see cref="DatasetSplitter"/> makes train/validation/test splits the way the DePT paper does.</summary>
public sealed record DatasetSplitOptions
{
    /// <summary>Training sets with fewer rows than this are "small": their validation set is halved into
    /// validation and test. Larger ones give up <see cref="HeldOutValidationRows"/> training rows as validation
    /// and use the original validation set as test.</summary>
    public int SmallDatasetThreshold { get; init; } = 10_000;

    /// <summary>Training rows held out as validation for large sets.</summary>
    public int HeldOutValidationRows { get; init; } = 1_000;

    /// <summary>Seed of the shuffles; the same seed gives the same splits.</summary>
    public int Seed { get; init; } = 42;
}
