namespace DePT.Benchmarks.Plan;

/// <summary>
/// What a run measures and how long it may take. Input length s = 256, target 8 (the paper's GLUE setting); with dynamic
/// padding each example's length is drawn from [<see cref="MinDynamicLength"/>, s] and a batch is padded to its longest.
/// </summary>
internal sealed record BenchPlan(string Mode, IReadOnlyList<BenchCase> Cases, int WarmupSteps, int TimedSteps, int InferWarmup, int InferRuns,
    TimeSpan TimeLimit)
{
    /// <summary>s: the input length rows are padded to, and the rows of the low-rank A.</summary>
    public const int InputLength = 256;

    /// <summary>Decoder length of a training example, and tokens generated at inference.</summary>
    public const int TargetLength = 8;

    /// <summary>The shortest example with dynamic padding.</summary>
    public const int MinDynamicLength = 128;

    /// <summary>
    /// <c>--quick</c>: T5-Base and T5-Large at batch 32, padded to 256, frozen / PT / DePT (60, 30); 3 warm-up and 20 timed
    /// steps, 2 + 10 generations. No row starts after 110 s.
    /// </summary>
    public static BenchPlan Quick() => new("quick",
        Expand([ModelShapes.Find("t5-base"), ModelShapes.Find("t5-large")], _ => [32], [false], [BenchMethod.Frozen, BenchMethod.Pt, BenchMethod.Dept60x30]),
        WarmupSteps: 3, TimedSteps: 20, InferWarmup: 2, InferRuns: 10, TimeLimit: TimeSpan.FromSeconds(110));

    /// <summary>
    /// The full run: every model at batch 8 and 32 (T5-3B at 8 only), padding off and on, every method; 5 warm-up and 50
    /// timed steps, 3 + 20 generations. No row starts after 540 s.
    /// </summary>
    public static BenchPlan Full() => new("full",
        Expand(ModelShapes.All, m => m.Name == "t5-3b" ? [8] : [8, 32], [false, true], BenchMethod.All),
        WarmupSteps: 5, TimedSteps: 50, InferWarmup: 3, InferRuns: 20, TimeLimit: TimeSpan.FromSeconds(540));

    /// <summary>
    /// This plan narrowed or widened by command-line choices (null: keep the plan's). Explicit batches apply to every model.
    /// </summary>
    public BenchPlan With(IReadOnlyList<BenchShape>? models, IReadOnlyList<int>? batches, IReadOnlyList<bool>? padding, IReadOnlyList<BenchMethod>? methods)
    {
        if (models is null && batches is null && padding is null && methods is null) return this;
        var chosenModels = models ?? Cases.Select(c => c.Model).Distinct().ToList();
        var chosenPadding = padding ?? Cases.Select(c => c.DynamicPadding).Distinct().ToList();
        var chosenMethods = methods ?? Cases.Select(c => c.Method).Distinct().ToList();
        IReadOnlyList<int> BatchesOf(BenchShape model)
        {
            if (batches is not null) return batches;
            var planned = Cases.Where(c => c.Model == model).Select(c => c.Batch).Distinct().ToList();
            return planned.Count > 0 ? planned : Cases.Select(c => c.Batch).Distinct().ToList();
        }
        return this with { Cases = Expand(chosenModels, BatchesOf, chosenPadding, chosenMethods) };
    }

    // Shapes that measure full-length rows only (causal LMs) take no dynamic-padding rows.
    private static List<BenchCase> Expand(IEnumerable<BenchShape> models, Func<BenchShape, IReadOnlyList<int>> batches,
        IReadOnlyList<bool> padding, IReadOnlyList<BenchMethod> methods) =>
        [.. from model in models
            from batch in batches(model)
            from dynamic in padding
            where !dynamic || model.AllowsDynamicPadding
            from method in methods
            select new BenchCase(model, method, batch, dynamic)];
}
