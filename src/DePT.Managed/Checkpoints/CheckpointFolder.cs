using System.Text.Json;
using DePT.IO;
using DePT.Metrics;

namespace DePT.Checkpoints;

/// <summary>
/// A training checkpoint on disk: one folder (<c>best/</c> or <c>last/</c> of a run) holding the task's parameter
/// files, <see cref="StateFileName"/> (optimiser, data order, RNG) and <see cref="InfoFileName"/> (step, metrics).
/// </summary>
/// <remarks>
/// A folder is replaced as a whole: the new one is written completely under a temporary name beside it, then the
/// old one is renamed to <c>name.old</c>, the new one into place, and the old one deleted. A crash at any point
/// leaves a complete checkpoint under <c>name</c> or, between the two renames, under <c>name.old</c>;
/// <see cref="Locate"/> finds either.
/// </remarks>
public static class CheckpointFolder
{
    /// <summary>The training state file inside a checkpoint folder.</summary>
    public const string StateFileName = "training_state.safetensors";

    /// <summary>The step and metrics file inside a checkpoint folder.</summary>
    public const string InfoFileName = "checkpoint.json";

    /// <summary>The format version of <see cref="InfoFileName"/> this library writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    private const string StagingSuffix = ".staging";
    private const string PreviousSuffix = ".old";

    /// <summary>Replaces the folder <paramref name="path"/> by one that <paramref name="writeContents"/> fills, as the remarks describe.</summary>
    /// <param name="path">The checkpoint folder; its parent must exist.</param>
    /// <param name="writeContents">Writes the task's files into the (empty) folder it is given.</param>
    /// <param name="state">The training state, or null for a parameters-only checkpoint.</param>
    /// <param name="info">The step and metrics.</param>
    public static void Write(string path, Action<string> writeContents, TrainingState? state, CheckpointInfo info)
    {
        ArgumentNullException.ThrowIfNull(writeContents);
        ArgumentNullException.ThrowIfNull(info);
        string full = Path.GetFullPath(path);
        string staging = full + StagingSuffix, previous = full + PreviousSuffix;
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            writeContents(staging);
            state?.Save(Path.Combine(staging, StateFileName));
            WriteInfo(Path.Combine(staging, InfoFileName), info);
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
        if (Directory.Exists(full))
        {
            if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);   // full is complete: the older copy can go
            Directory.Move(full, previous);
        }
        Directory.Move(staging, full);   // a name.old left alone by a crash is kept until the new folder is in place
        if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
    }

    /// <summary>The complete checkpoint folder for <paramref name="path"/>: the folder itself, or the previous one a crash left mid-swap; null when neither exists.</summary>
    public static string? Locate(string path)
    {
        string full = Path.GetFullPath(path);
        if (File.Exists(Path.Combine(full, InfoFileName))) return full;
        string previous = full + PreviousSuffix;
        return File.Exists(Path.Combine(previous, InfoFileName)) ? previous : null;
    }

    /// <summary>Reads <see cref="InfoFileName"/> of a checkpoint folder.</summary>
    /// <exception cref="FileNotFoundException">The folder holds no checkpoint.</exception>
    /// <exception cref="CheckpointFormatException">A newer format version or a malformed field.</exception>
    public static CheckpointInfo ReadInfo(string folder)
    {
        string path = Path.Combine(Path.GetFullPath(folder), InfoFileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{Path.GetFullPath(folder)}' holds no checkpoint ({InfoFileName} is missing).", path);
        using (var document = JsonFile.Parse(path, ex => new CheckpointFormatException($"'{path}' is not valid JSON: {ex.Message}", ex)))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException($"'{path}': expected a JSON object.");
            CheckpointJson.CheckVersion(CheckpointJson.Int32(root, "format_version", path), FormatVersion, path, "format_version");
            int step = CheckpointJson.Int32(root, "step", path);
            var metrics = new Dictionary<MetricKind, double>();
            foreach (var property in CheckpointJson.Object(root, "metrics", path).EnumerateObject())
            {
                if (!MetricKindExtensions.TryParse(property.Name, out var kind) || property.Value.ValueKind != JsonValueKind.Number)
                    throw new CheckpointFormatException($"'{path}': the metric entry \"{property.Name}\": {property.Value.GetRawText()} is not a known metric with a number.");
                metrics[kind] = property.Value.GetDouble();
            }
            string? data = root.TryGetProperty("training_data_sha256", out var hash) && hash.ValueKind == JsonValueKind.String ? hash.GetString() : null;
            return new CheckpointInfo(step, metrics, data);
        }
    }

    private static void WriteInfo(string path, CheckpointInfo info)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("format_version", FormatVersion);
            writer.WriteNumber("step", info.Step);
            if (info.TrainingDataSha256 is { } data) writer.WriteString("training_data_sha256", data);
            writer.WriteStartObject("metrics");
            foreach (var (kind, value) in info.Metrics.OrderBy(m => m.Key))
            {
                if (double.IsFinite(value)) writer.WriteNumber(kind.FileName(), value);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        stream.Flush(flushToDisk: true);
    }
}
