using System.Globalization;
using DePT.Benchmarks.Results;
using ScottPlot;

namespace DePT.Benchmarks.Charts;

/// <summary>results.png: the training-step time and the peak memory of every successful row, one bar each, coloured by implementation.</summary>
internal static class ResultsChart
{
    private static readonly Color[] s_palette = [Colors.SteelBlue, Colors.DarkOrange, Colors.SeaGreen, Colors.Crimson, Colors.SlateGray];

    /// <summary>Renders the chart to <paramref name="path"/> (PNG).</summary>
    public static void Save(ResultsComparison comparison, string path)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        var rows = comparison.Rows.Where(c => c.Row.Error is null && c.Row.TrainStepMs is not null).ToList();
        var implementations = rows.Select(c => c.Implementation).Distinct().ToList();
        var labels = rows.Select(c => $"{Short(c.Row.Model)} B{c.Row.Batch}{(c.Row.DynamicPadding ? " dyn" : "")} {c.Row.MethodLabel}").ToArray();

        var time = new Plot();
        var memory = new Plot();
        var multiplot = new Multiplot(time);
        multiplot.AddPlot(memory);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();
        Fill(time, rows, implementations, labels, c => c.Row.TrainStepMs, "training step (ms, median)");
        Fill(memory, rows, implementations, labels, c => c.Row.PeakGib, "peak memory (GiB)");
        time.Title(string.Create(CultureInfo.InvariantCulture,
            $"DePT benchmark on {comparison.Ours.Device ?? "unknown device"} ({comparison.Ours.Date ?? "undated"})"));
        multiplot.SavePng(path, Math.Max(900, 70 * rows.Count + 200), 1000);
    }

    private static void Fill(Plot plot, List<ComparedRow> rows, List<string> implementations, string[] labels, Func<ComparedRow, double?> value, string axis)
    {
        foreach (string implementation in implementations)
        {
            var bars = new List<Bar>();
            for (int i = 0; i < rows.Count; i++)
            {
                if (rows[i].Implementation != implementation || value(rows[i]) is not double v) continue;
                bars.Add(new Bar
                {
                    Position = i, Value = v, FillColor = s_palette[implementations.IndexOf(implementation) % s_palette.Length],
                    Label = v.ToString(v >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture),
                });
            }
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = implementation;
        }
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, rows.Count).Select(i => (double)i)], labels);
        // Rotated to end at their bar, so the rightmost labels stay inside the image.
        plot.Axes.Bottom.TickLabelStyle.Rotation = -40;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 140;
        plot.Axes.Left.Label.Text = axis;
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.ShowLegend(Alignment.UpperLeft);
    }

    private static string Short(string model) => model.StartsWith("t5-", StringComparison.Ordinal) ? model[3..] : model;
}
