using DePT.Benchmarks.Charts;
using DePT.Benchmarks.Results;

namespace DePT.Benchmarks;

/// <summary>Writes a folder of results: dept.json (optional), results.md and results.png.</summary>
internal static class ResultFiles
{
    /// <summary>The run's own file name.</summary>
    public const string OursFileName = "dept.json";

    /// <summary>The merged table's file name.</summary>
    public const string MarkdownFileName = "results.md";

    /// <summary>The chart's file name.</summary>
    public const string ChartFileName = "results.png";

    /// <summary>
    /// Writes results.md and results.png for <paramref name="ours"/> merged with <paramref name="pytorch"/> (if any) into
    /// <paramref name="folder"/>. A chart that fails to render is reported, not fatal: the table is already written.
    /// </summary>
    public static ResultsComparison WriteReport(string folder, BenchRun ours, BenchRun? pytorch, Action<string> log)
    {
        Directory.CreateDirectory(folder);
        var comparison = ResultsComparison.Build(ours, pytorch);
        string markdown = Path.Combine(folder, MarkdownFileName);
        File.WriteAllText(markdown, ResultsMarkdown.Render(comparison));
        log($"wrote {markdown}");
        string chart = Path.Combine(folder, ChartFileName);
        try
        {
            ResultsChart.Save(comparison, chart);
            log($"wrote {chart}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log($"warning: the chart could not be drawn ({e.GetType().Name}: {e.Message}); {markdown} holds the numbers.");
        }
        return comparison;
    }

    /// <summary>Prints the target lines to <paramref name="log"/>.</summary>
    public static void LogTargets(ResultsComparison comparison, Action<string> log)
    {
        foreach (var t in comparison.Targets)
        {
            string measured = t.Measured is double m ? ResultsMarkdown.Number(m, 3) : $"– ({t.Missing})";
            log($"target {t.Model}: {t.What} ≤ {ResultsMarkdown.Number(t.Bound, 2)}: {measured} {t.Status}");
        }
    }
}
