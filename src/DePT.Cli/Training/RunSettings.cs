using System.Text.Json;
using System.Text.Json.Serialization;

namespace DePT.Cli.Training;

/// <summary>
/// Everything <c>dept train</c> was asked, saved as <see cref="FileName"/> in the output folder so that
/// <c>--resume</c> rebuilds the identical run (same model, data, prompt shapes, schedule and seeds).
/// </summary>
internal sealed record RunSettings
{
    public const string FileName = "run.json";
    public const int FormatVersion = 1;

    public int Version { get; init; } = FormatVersion;
    public required string Model { get; init; }
    public required string Train { get; init; }
    public string? Validation { get; init; }
    public bool PaperSplits { get; init; }
    public int? KShot { get; init; }
    public required string Method { get; init; }
    public int VanillaLength { get; init; }
    public int? PromptLength { get; init; }
    public int? Rank { get; init; }
    public string Init { get; init; } = "vocab";
    public string? InitText { get; init; }
    public int MaxLength { get; init; }
    public int TargetLength { get; init; }
    public int Steps { get; init; }
    public int BatchSize { get; init; }
    public int EvalEvery { get; init; }
    public int EvalBatchSize { get; init; }
    public required string Metric { get; init; }
    public float PromptLearningRate { get; init; }
    public float LowRankLearningRate { get; init; }
    public float HeadLearningRate { get; init; }
    public int WarmupSteps { get; init; }
    public float MaxGradNorm { get; init; }
    public float WeightDecay { get; init; }
    public bool Dropout { get; init; } = true;
    public int Seed { get; init; }
    public bool SkipMalformed { get; init; }
    public string? DType { get; init; }
    public int Gpus { get; init; } = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string PathIn(string folder) => Path.Combine(Path.GetFullPath(folder), FileName);

    public void Save(string folder)
    {
        string path = PathIn(folder), staged = path + ".tmp";
        File.WriteAllText(staged, JsonSerializer.Serialize(this, Json));
        File.Move(staged, path, overwrite: true);
    }

    /// <exception cref="FileNotFoundException">The folder holds no run.</exception>
    /// <exception cref="InvalidDataException">The file is malformed or from a newer version.</exception>
    public static RunSettings Load(string folder)
    {
        string path = PathIn(folder);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{Path.GetFullPath(folder)}' holds no training run to resume ({FileName} is missing).", path);
        RunSettings? settings;
        try
        {
            settings = JsonSerializer.Deserialize<RunSettings>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid run file: {e.Message}", e);
        }
        if (settings is null) throw new InvalidDataException($"'{path}' is empty.");
        if (settings.Version > FormatVersion)
            throw new InvalidDataException($"'{path}': version {settings.Version} is newer than this dept understands ({FormatVersion}); update DePT to resume it.");
        return settings;
    }
}
