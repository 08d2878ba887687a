namespace DePT.Benchmarks.Plan;

/// <summary>One row of a run: a model, a method, a batch size and whether batches are padded only to their longest row.</summary>
internal sealed record BenchCase(BenchShape Model, BenchMethod Method, int Batch, bool DynamicPadding)
{
    /// <summary>Trainable parameters of the method on this shape: m·d + r·(rows of A + d).</summary>
    public long TrainableParameters => Method.TrainableParameters(Model.ModelDim, Model.LowRankRows);

    /// <inheritdoc />
    public override string ToString() => $"{Model.Name} B={Batch} {(DynamicPadding ? "dynamic padding" : $"padded to {Model.InputLength}")} {Method}";
}
