using System.Text;
using System.Text.Json;
using DePT.Metrics;

namespace DePT.Training;

/// <summary>
/// A run's JSON Lines log, one object per line: a step line <c>{"step", "loss", "learning_rates": {group: rate},
/// "tokens_per_second", "elapsed_seconds"}</c> after every step and an evaluation line <c>{"step", "metrics":
/// {name: value}, "best"}</c> after every evaluation. Each line is flushed as it is written, so a crash loses at most
/// the line being written.
/// </summary>
public sealed class TrainingLog : IDisposable
{
    /// <summary>The log's file name inside a run's output folder.</summary>
    public const string FileName = "log.jsonl";

    private readonly StreamWriter _writer;

    private TrainingLog(StreamWriter writer) => _writer = writer;

    /// <summary>
    /// Opens the log of a run at <paramref name="path"/>: a new run (<paramref name="resumeStep"/> 0) starts it empty;
    /// a resumed run keeps the lines of steps up to <paramref name="resumeStep"/> and drops later ones (steps that ran
    /// after the checkpoint and will run again), so the log reads as one uninterrupted run.
    /// </summary>
    public static TrainingLog Open(string path, int resumeStep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(resumeStep);
        string full = Path.GetFullPath(path);
        var kept = new List<string>();
        if (resumeStep > 0 && File.Exists(full))
        {
            foreach (string line in File.ReadLines(full))
                if (StepOf(line) is int step && step <= resumeStep) kept.Add(line);
        }
        string staged = full + ".tmp";
        File.WriteAllLines(staged, kept, new UTF8Encoding(false));
        File.Move(staged, full, overwrite: true);
        var stream = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new TrainingLog(new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true });
    }

    /// <summary>Appends a step line.</summary>
    public void WriteStep(TrainingStepReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        WriteLine(writer =>
        {
            writer.WriteNumber("step", report.Step);
            WriteFinite(writer, "loss", report.Loss);
            writer.WriteStartObject("learning_rates");
            foreach (var (group, rate) in report.LearningRates) writer.WriteNumber(group, rate);
            writer.WriteEndObject();
            writer.WriteNumber("tokens_per_second", Math.Round(report.TokensPerSecond, 1));
            writer.WriteNumber("elapsed_seconds", Math.Round(report.Elapsed.TotalSeconds, 3));
        });
    }

    /// <summary>Appends an evaluation line.</summary>
    public void WriteEvaluation(int step, IReadOnlyDictionary<MetricKind, double> metrics, bool isBest)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        WriteLine(writer =>
        {
            writer.WriteNumber("step", step);
            writer.WriteStartObject("metrics");
            foreach (var (kind, value) in metrics.OrderBy(m => m.Key)) WriteFinite(writer, kind.FileName(), value);
            writer.WriteEndObject();
            writer.WriteBoolean("best", isBest);
        });
    }

    /// <summary>The step losses and evaluations of a log file, in file order (for charts and tests).</summary>
    /// <exception cref="InvalidDataException">A line is not a log object; the message names the line.</exception>
    public static TrainingLogContents Read(string path)
    {
        var losses = new List<(int, double)>();
        var evaluations = new List<(int, IReadOnlyDictionary<MetricKind, double>)>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                int step = root.GetProperty("step").GetInt32();
                if (root.TryGetProperty("metrics", out var metrics))
                {
                    var values = new Dictionary<MetricKind, double>();
                    foreach (var property in metrics.EnumerateObject())
                        if (MetricKindExtensions.TryParse(property.Name, out var kind) && property.Value.ValueKind == JsonValueKind.Number)
                            values[kind] = property.Value.GetDouble();
                    evaluations.Add((step, values));
                }
                else
                {
                    var loss = root.GetProperty("loss");
                    losses.Add((step, loss.ValueKind == JsonValueKind.Number ? loss.GetDouble() : double.NaN));
                }
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: not a training log line ({ex.Message}).", ex);
            }
        }
        return new TrainingLogContents(losses, evaluations);
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();

    private void WriteLine(Action<Utf8JsonWriter> body)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        _writer.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>JSON has no NaN or infinity: those are written as null.</summary>
    private static void WriteFinite(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumber(name, value);
        else writer.WriteNull(name);
    }

    private static int? StepOf(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.TryGetProperty("step", out var step) && step.TryGetInt32(out int value) ? value : null;
        }
        catch (JsonException)
        {
            return null;   // a line torn by a crash: dropped with the steps that will run again
        }
    }
}
