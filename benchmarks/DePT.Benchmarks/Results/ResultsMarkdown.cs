using System.Globalization;
using System.Text;

namespace DePT.Benchmarks.Results;

/// <summary>Writes a <see cref="ResultsComparison"/> as results.md: the runs' provenance, one table, the targets, the failures.</summary>
internal static class ResultsMarkdown
{
    /// <summary>The whole document.</summary>
    public static string Render(ResultsComparison comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        var md = new StringBuilder();
        md.AppendLine("# DePT benchmark results").AppendLine();
        foreach (var run in new[] { comparison.Ours, comparison.Other })
        {
            if (run is null) continue;
            md.AppendLine($"- **{run.Implementation}**: {run.Device ?? "unknown device"}, {run.Date ?? "undated"}, commit {run.Commit ?? "unknown"}; " +
                          $"bf16 GEMM {Number(run.Ceilings?.Bf16MatmulTflops, 0)} TFLOP/s, copy {Number(run.Ceilings?.CopyGbps, 0)} GB/s");
        }
        if (comparison.Other is null) md.AppendLine("- no PyTorch result was merged: the table holds our rows only.");
        md.AppendLine();

        md.AppendLine("| model | B | padding | method | impl | step ms (p10–p90) | peak GiB | tokens/s | TFLOP/s | infer ms | seq/s | DePT/PT time | DePT/PT mem | ours/this time | ours/this mem |");
        md.AppendLine("| --- | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var c in comparison.Rows)
        {
            var r = c.Row;
            string padding = r.DynamicPadding ? "dynamic" : Invariant($"{r.InputLen}");
            if (r.Error is not null)
            {
                md.AppendLine(Invariant($"| {r.Model} | {r.Batch} | {padding} | {r.MethodLabel} | {c.Implementation} | error | | | | | | | | | |"));
                continue;
            }
            string step = r.TrainStepMs is null ? "–" : $"{Number(r.TrainStepMs, 2)} ({Number(r.TrainStepMsP10, 2)}–{Number(r.TrainStepMsP90, 2)})";
            md.AppendLine(Invariant($"| {r.Model} | {r.Batch} | {padding} | {r.MethodLabel} | {c.Implementation} | {step} | {Number(r.PeakGib, 2)} | ") +
                Invariant($"{Number(r.TrainTokensPerS, 0)} | {Number(r.AchievedTflops, 1)} | {Number(r.InferMs, 2)} | {Number(r.InferSequencesPerS, 0)} | ") +
                Invariant($"{Number(c.DeptOverPtTime, 3)} | {Number(c.DeptOverPtMemory, 3)} | {Number(c.OursOverThisTime, 3)} | {Number(c.OursOverThisMemory, 3)} |"));
        }
        md.AppendLine();
        md.AppendLine("DePT/PT: a DePT row against the PT row of the same implementation, model, batch and padding. ours/this: on rows of " +
                      "other implementations, our row of the same method divided by that row (below 1: ours is faster or smaller). " +
                      "Peak memory: ours is the pool's high-water mark, PyTorch's `torch.cuda.max_memory_allocated`; both include the weights.");
        md.AppendLine();

        md.AppendLine(Invariant($"## Targets (B={ResultsComparison.TargetBatch}, padded to the input length, DePT 60/30)")).AppendLine();
        md.AppendLine("| model | ratio | target | measured | status |");
        md.AppendLine("| --- | --- | ---: | ---: | --- |");
        foreach (var t in comparison.Targets)
        {
            string measured = t.Measured is double m ? Number(m, 3) : $"– ({t.Missing})";
            md.AppendLine(Invariant($"| {t.Model} | {t.What} | ≤ {Number(t.Bound, 2)} | {measured} | {t.Status} |"));
        }

        var failures = comparison.Rows.Where(c => c.Row.Error is not null).ToList();
        if (failures.Count > 0)
        {
            md.AppendLine().AppendLine("## Rows that failed").AppendLine();
            foreach (var c in failures)
            {
                var r = c.Row;
                md.AppendLine(Invariant($"- {c.Implementation} {r.Model} B={r.Batch} {(r.DynamicPadding ? "dynamic" : "padded")} {r.MethodLabel}: {OneLine(r.Error!)}"));
            }
        }
        return md.ToString();
    }

    /// <summary>A number with <paramref name="decimals"/> decimals (thousands grouped), or "–" when absent.</summary>
    public static string Number(double? value, int decimals) =>
        value is double v && double.IsFinite(v) ? v.ToString("N" + decimals, CultureInfo.InvariantCulture) : "–";

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Replace('|', '/');

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
