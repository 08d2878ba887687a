namespace DePT.Benchmarks.Plan;

/// <summary>One row of a run: a model, a method, a batch size and whether batches are padded only to their longest row.</summary>
internal sealed record BenchCase(ModelShape Model, BenchMethod Method, int Batch, bool DynamicPadding)
{
    /// <inheritdoc />
    public override string ToString() => $"{Model.Name} B={Batch} {(DynamicPadding ? "dynamic padding" : "padded to 256")} {Method}";
}
