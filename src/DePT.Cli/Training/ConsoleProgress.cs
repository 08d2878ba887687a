using System.Globalization;
using DePT.Metrics;
using DePT.Training;
using Spectre.Console;

namespace DePT.Cli.Training;

/// <summary>
/// Shows a run on the console: a Spectre.Console progress bar with the loss, learning rates, tokens/s and the time
/// left when the console is interactive; otherwise (redirected output, CI) one plain line every
/// <see cref="PlainLineEvery"/> steps. Evaluations and notices are printed as lines in both cases, and the chart is
/// redrawn after each evaluation.
/// </summary>
internal sealed class ConsoleProgress(ProgressTask? bar, string logPath, string chartPath, MetricKind metric) : ITrainingObserver
{
    public const int PlainLineEvery = 10;

    public static bool Interactive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    public void OnStep(TrainingStepReport report)
    {
        string rates = string.Join(" ", report.LearningRates.Select(r => $"lr[{r.Group}]={r.LearningRate.ToString("G3", CultureInfo.InvariantCulture)}"));
        string text = $"step {report.Step}/{report.TotalSteps} loss {report.Loss:F4} {rates} {report.TokensPerSecond:N0} tok/s";
        if (bar is not null)
        {
            bar.Description = Markup.Escape(text);
            bar.Value = report.Step;
        }
        else if (report.Step % PlainLineEvery == 0 || report.Step == report.TotalSteps)
        {
            Console.WriteLine($"{text}, {report.Elapsed.TotalSeconds:F0} s, about {report.Remaining.TotalSeconds:F0} s left");
        }
    }

    public void OnEvaluation(int step, IReadOnlyDictionary<MetricKind, double> metrics, bool isBest)
    {
        string values = string.Join(", ", metrics.OrderBy(m => m.Key).Select(m => $"{m.Key.FileName()} {m.Value:F4}"));
        Print($"evaluation at step {step}: {values}{(isBest ? $" (best {metric.FileName()} so far: saved to best/)" : "")}");
        TrainingChart.Write(logPath, chartPath, metric);
    }

    public void OnMessage(string message) => Print(message);

    private static void Print(string line)
    {
        if (Interactive) AnsiConsole.MarkupLine(Markup.Escape(line));
        else Console.WriteLine(line);
    }
}
