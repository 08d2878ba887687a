namespace DePT.Benchmarks.Results;

/// <summary>One stated target with its measured ratio: met when the ratio is at most <see cref="Bound"/>.</summary>
/// <param name="Model">The model the target is for.</param>
/// <param name="What">What is compared, e.g. "DePT/PT step time (dept)".</param>
/// <param name="Bound">The largest ratio that meets the target.</param>
/// <param name="Measured">The measured ratio, or null when a row is missing or failed.</param>
/// <param name="Missing">Why there is no measurement (null when there is one).</param>
internal sealed record TargetCheck(string Model, string What, double Bound, double? Measured, string? Missing)
{
    /// <summary>MET, MISSED or NOT MEASURED.</summary>
    public string Status => Measured is double m ? (m <= Bound ? "MET" : "MISSED") : "NOT MEASURED";
}
