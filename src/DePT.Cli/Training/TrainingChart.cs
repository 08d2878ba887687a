using DePT.Metrics;
using DePT.Training;
using ScottPlot;

namespace DePT.Cli.Training;

/// <summary>The PNG chart of a run: training loss (left axis) and the selection metric (right axis) against the step, drawn from its log.</summary>
internal static class TrainingChart
{
    public const string FileName = "chart.png";

    public static void Write(string logPath, string pngPath, MetricKind metric)
    {
        var log = TrainingLog.Read(logPath);
        var plot = new Plot();
        plot.Title("DePT training");
        plot.XLabel("step");
        plot.YLabel("training loss");
        var finite = log.Losses.Where(p => double.IsFinite(p.Loss)).ToArray();
        if (finite.Length > 0)
        {
            var loss = plot.Add.Scatter(finite.Select(p => (double)p.Step).ToArray(), finite.Select(p => p.Loss).ToArray());
            loss.LegendText = "loss";
            loss.MarkerSize = 0;
        }
        var evaluated = log.Evaluations.Where(e => e.Metrics.ContainsKey(metric)).ToArray();
        if (evaluated.Length > 0)
        {
            var score = plot.Add.Scatter(evaluated.Select(e => (double)e.Step).ToArray(), evaluated.Select(e => e.Metrics[metric]).ToArray());
            score.LegendText = metric.FileName();
            score.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = metric.FileName();
        }
        plot.ShowLegend();
        string staged = pngPath + ".tmp.png";
        plot.SavePng(staged, 900, 500);
        File.Move(staged, pngPath, overwrite: true);
    }
}
