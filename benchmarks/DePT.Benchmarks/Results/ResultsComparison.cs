using DePT.Benchmarks.Plan;

namespace DePT.Benchmarks.Results;

/// <summary>
/// The merge of our run with an optional PyTorch run: one ordered table (model, batch, padding, method, implementation)
/// with ratios, and the target checks for T5-Base and T5-Large at batch 32 padded to 256 with DePT (60, 30).
/// </summary>
internal sealed class ResultsComparison
{
    /// <summary>The models, batch and DePT setting the targets are stated for.</summary>
    public static readonly string[] TargetModels = ["t5-base", "t5-large"];

    /// <summary>The batch the targets are stated for.</summary>
    public const int TargetBatch = 32;

    /// <summary>DePT/PT step time within our implementation must be at most this.</summary>
    public const double DeptOverPtTimeBound = 0.80;

    /// <summary>DePT/PT peak memory within our implementation must be at most this.</summary>
    public const double DeptOverPtMemoryBound = 0.80;

    /// <summary>Ours/PyTorch step time for DePT (60, 30) must be at most this.</summary>
    public const double OursOverPyTorchTimeBound = 0.5;

    /// <summary>Ours/PyTorch peak memory for DePT (60, 30) must be at most this.</summary>
    public const double OursOverPyTorchMemoryBound = 0.7;

    private ResultsComparison(BenchRun ours, BenchRun? other, IReadOnlyList<ComparedRow> rows, IReadOnlyList<TargetCheck> targets)
    {
        Ours = ours;
        Other = other;
        Rows = rows;
        Targets = targets;
    }

    /// <summary>Our run.</summary>
    public BenchRun Ours { get; }

    /// <summary>The PyTorch run, if one was given.</summary>
    public BenchRun? Other { get; }

    /// <summary>Every row of both runs, ordered and with ratios.</summary>
    public IReadOnlyList<ComparedRow> Rows { get; }

    /// <summary>The target checks, in the order they are stated.</summary>
    public IReadOnlyList<TargetCheck> Targets { get; }

    /// <summary>Builds the table and the checks.</summary>
    public static ResultsComparison Build(BenchRun ours, BenchRun? other)
    {
        ArgumentNullException.ThrowIfNull(ours);
        var all = ours.Rows.Select(r => (Row: r, Impl: Label(ours, r), IsOurs: true))
            .Concat((other?.Rows ?? []).Select(r => (Row: r, Impl: Label(other!, r), IsOurs: false)))
            .ToList();

        BenchRow? Ok(BenchRow? row) => row is { Error: null } ? row : null;
        BenchRow? PtPartner(BenchRow row, string impl) => Ok(all
            .Where(x => x.Impl == impl && x.Row.Method == BenchMethod.PtKind && SameSetting(x.Row, row))
            .OrderBy(x => Math.Abs(x.Row.PromptLen - BenchMethod.Pt.PromptLength))
            .Select(x => x.Row).FirstOrDefault());
        BenchRow? OurPartner(BenchRow row) => Ok(ours.Rows.FirstOrDefault(r => SameMethod(r, row) && SameSetting(r, row)));

        var compared = new List<ComparedRow>();
        foreach (var (row, impl, isOurs) in all)
        {
            var pt = row.Method == BenchMethod.DeptKind && row.Error is null ? PtPartner(row, impl) : null;
            var mine = !isOurs && row.Error is null ? OurPartner(row) : null;
            compared.Add(new ComparedRow(row, impl, isOurs,
                Ratio(row.TrainStepMs, pt?.TrainStepMs), Ratio(row.PeakGib, pt?.PeakGib),
                Ratio(mine?.TrainStepMs, row.TrainStepMs), Ratio(mine?.PeakGib, row.PeakGib)));
        }
        var ordered = compared
            .OrderBy(c => ModelOrder(c.Row.Model)).ThenBy(c => c.Row.Model, StringComparer.Ordinal)
            .ThenBy(c => c.Row.Batch).ThenBy(c => c.Row.DynamicPadding)
            .ThenBy(c => MethodOrder(c.Row.Method)).ThenBy(c => c.Row.PromptLen).ThenBy(c => c.Row.Rank)
            .ThenBy(c => c.IsOurs ? 0 : 1).ThenBy(c => c.Implementation, StringComparer.Ordinal)
            .ToList();
        return new ResultsComparison(ours, other, ordered, Checks(ours, other, compared));
    }

    /// <summary>The implementation label of a row: the run's implementation, with the row's variant when it has one.</summary>
    public static string Label(BenchRun run, BenchRow row) =>
        string.IsNullOrWhiteSpace(row.Variant) ? run.Implementation : $"{run.Implementation} ({row.Variant})";

    /// <summary>numerator / denominator when both are positive and finite.</summary>
    public static double? Ratio(double? numerator, double? denominator) =>
        numerator is double n && denominator is double d && double.IsFinite(n) && double.IsFinite(d) && n > 0 && d > 0 ? n / d : null;

    private static List<TargetCheck> Checks(BenchRun ours, BenchRun? other, List<ComparedRow> compared)
    {
        var checks = new List<TargetCheck>();
        var dept = BenchMethod.Dept60x30;
        bool IsTargetDept(BenchRow r, string model) => r.Model == model && r.Batch == TargetBatch && !r.DynamicPadding
            && r.Method == dept.Kind && r.PromptLen == dept.PromptLength && r.Rank == dept.Rank;
        string setting = $"B={TargetBatch}, padded to the input length, DePT {dept.PromptLength}/{dept.Rank}";

        foreach (string model in TargetModels)
        {
            var mine = compared.FirstOrDefault(c => c.IsOurs && IsTargetDept(c.Row, model));
            string? whyNot = mine is null ? $"no {ours.Implementation} row for {setting}" : mine.Row.Error is { } e ? $"the row failed: {e}"
                : mine.DeptOverPtTime is null ? "no successful PT row to compare with" : null;
            checks.Add(new TargetCheck(model, $"DePT/PT step time ({ours.Implementation})", DeptOverPtTimeBound, mine?.DeptOverPtTime, whyNot));
            checks.Add(new TargetCheck(model, $"DePT/PT peak memory ({ours.Implementation})", DeptOverPtMemoryBound, mine?.DeptOverPtMemory,
                mine?.DeptOverPtMemory is null ? whyNot ?? "no peak memory measured" : null));

            var labels = compared.Where(c => !c.IsOurs).Select(c => c.Implementation).Distinct().ToList();
            if (labels.Count == 0) labels.Add(other?.Implementation ?? "pytorch");
            foreach (string label in labels)
            {
                var theirs = compared.FirstOrDefault(c => !c.IsOurs && c.Implementation == label && IsTargetDept(c.Row, model));
                string? missing = other is null ? "no PyTorch result file was given"
                    : theirs is null ? $"no {label} row for {setting}"
                    : theirs.Row.Error is { } error ? $"the {label} row failed: {error}"
                    : mine is null || mine.Row.Error is not null ? $"no successful {ours.Implementation} row"
                    : null;
                checks.Add(new TargetCheck(model, $"ours/{label} step time, DePT {dept.PromptLength}/{dept.Rank}", OursOverPyTorchTimeBound,
                    theirs?.OursOverThisTime, theirs?.OursOverThisTime is null ? missing ?? "no step time measured" : null));
                checks.Add(new TargetCheck(model, $"ours/{label} peak memory, DePT {dept.PromptLength}/{dept.Rank}", OursOverPyTorchMemoryBound,
                    theirs?.OursOverThisMemory, theirs?.OursOverThisMemory is null ? missing ?? "no peak memory measured" : null));
            }
        }
        return checks;
    }

    private static bool SameSetting(BenchRow a, BenchRow b) => a.Model == b.Model && a.Batch == b.Batch && a.DynamicPadding == b.DynamicPadding
        && a.InputLen == b.InputLen && a.TargetLen == b.TargetLen;

    private static bool SameMethod(BenchRow a, BenchRow b) => a.Method == b.Method && a.PromptLen == b.PromptLen && a.Rank == b.Rank;

    private static int ModelOrder(string model)
    {
        int index = BenchShapes.All.ToList().FindIndex(m => m.Name == model);
        return index < 0 ? int.MaxValue : index;
    }

    private static int MethodOrder(string method) => method switch
    {
        BenchMethod.FrozenKind => 0,
        BenchMethod.PtKind => 1,
        BenchMethod.DeptKind => 2,
        _ => 3,
    };
}
