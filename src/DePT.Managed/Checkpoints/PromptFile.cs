using System.Security.Cryptography;
using System.Text.Json;
using DePT.Backends;
using DePT.IO;
using DePT.Prompts;

namespace DePT.Checkpoints;

/// <summary>
/// One trained prompt on disk: <c>name.safetensors</c> holding <c>prompt_embeddings</c> (m, d) and, for DePT,
/// <c>prompt_encoder.lora_embedding_A</c> (s, r) and <c>prompt_encoder.lora_embedding_B</c> (r, d), all F32
/// (PEFT's names), and <c>name.json</c> beside it with the shapes, the scale, the base model's
/// <see cref="ModelIdentity"/> and the SHA-256 of the weights file.
/// </summary>
/// <remarks>
/// Saving is crash-safe. Both new files are first written completely and flushed to disk under temporary names
/// in the same folder (<c>name.safetensors.staged</c>, <c>name.json.tmp</c>); only then is the weights file renamed
/// into place, and the config last. An exception before the renames leaves the old pair untouched and removes the
/// temporary files. A crash between the two renames leaves the new weights beside the old config; the config's
/// weights hash then no longer matches and loading refuses the pair with a message saying so, instead of
/// silently applying stale values. A config is therefore never trusted for a weights file it was not written with.
/// </remarks>
public static class PromptFile
{
    /// <summary>The format version this library writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The extension of the weights file.</summary>
    public const string WeightsExtension = ".safetensors";

    /// <summary>The suffix of the staged weights file during a save.</summary>
    public const string StagedSuffix = ".staged";

    /// <summary>The config beside <paramref name="weightsPath"/>: the same name with <c>.json</c>.</summary>
    public static string ConfigPath(string weightsPath)
    {
        CheckWeightsPath(weightsPath);
        return Path.ChangeExtension(Path.GetFullPath(weightsPath), ".json");
    }

    /// <summary>Saves <paramref name="prompt"/>'s current values with its config, crash-safely (see the remarks on <see cref="PromptFile"/>).</summary>
    /// <exception cref="ArgumentException">The path does not end in .safetensors, or the prompt's width is not the model's.</exception>
    public static void Save(string weightsPath, SoftPrompt prompt, ModelIdentity baseModel)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(baseModel);
        string configPath = ConfigPath(weightsPath);
        string fullWeightsPath = Path.GetFullPath(weightsPath);
        if (prompt.Dim != baseModel.DModel)
            throw new ArgumentException($"Saving '{fullWeightsPath}': the prompt's width d={prompt.Dim} is not the model's d_model={baseModel.DModel} ({baseModel}).", nameof(prompt));

        prompt.Backend.Synchronize();
        int m = prompt.PromptLength, d = prompt.Dim;
        var tensors = new List<SafetensorsTensor> { SafetensorsTensor.Float32(PromptTensorNames.Prompt, prompt.Prompt.ToFloatArray(), m, d) };
        var method = PromptMethod.PromptTuning;
        int rank = 0, maxLength = 0;
        float? alpha = null;
        float scale = 0f;
        if (prompt is DecomposedPrompt dept)
        {
            method = PromptMethod.Decomposed;
            (rank, maxLength, alpha, scale) = (dept.Rank, dept.MaxLength, dept.Alpha, dept.Scale);
            tensors.Add(SafetensorsTensor.Float32(PromptTensorNames.LowRankA, dept.LowRankA.ToFloatArray(), maxLength, rank));
            tensors.Add(SafetensorsTensor.Float32(PromptTensorNames.LowRankB, dept.LowRankB.ToFloatArray(), rank, d));
        }

        string stagedWeights = fullWeightsPath + StagedSuffix;
        string stagedConfig = configPath + SafetensorsWriter.TemporarySuffix;
        try
        {
            SafetensorsWriter.Write(stagedWeights, tensors, new Dictionary<string, string> { ["format"] = "pt" });
            string weightsHash = HashFile(stagedWeights);
            var config = new PromptConfig(FormatVersion, method, m, rank, maxLength, alpha, scale, d, weightsHash, baseModel);
            using (var stream = new FileStream(stagedConfig, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                WriteConfig(stream, config);
                stream.Flush(flushToDisk: true);
            }
            File.Move(stagedWeights, fullWeightsPath, overwrite: true);
            File.Move(stagedConfig, configPath, overwrite: true);
        }
        catch
        {
            DeleteQuietly(stagedWeights);
            DeleteQuietly(stagedConfig);
            throw;
        }
    }

    /// <summary>Reads a prompt file after checking its version, that it belongs to <paramref name="expectedModel"/>, and that its weights are the ones its config was written with.</summary>
    /// <exception cref="FileNotFoundException">The weights or the config is missing.</exception>
    /// <exception cref="CheckpointFormatException">A newer format version, a malformed config, a weights file its config does not describe.</exception>
    /// <exception cref="PromptModelMismatchException">The prompt was trained on another model.</exception>
    public static PromptFileContents Read(string weightsPath, ModelIdentity expectedModel)
    {
        ArgumentNullException.ThrowIfNull(expectedModel);
        string configPath = ConfigPath(weightsPath);
        string fullWeightsPath = Path.GetFullPath(weightsPath);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"The prompt config '{configPath}' is missing (it belongs beside '{fullWeightsPath}').", configPath);
        if (!File.Exists(fullWeightsPath)) throw new FileNotFoundException($"The prompt weights '{fullWeightsPath}' are missing (its config is '{configPath}').", fullWeightsPath);

        var config = ReadConfig(configPath);
        if (config.BaseModel != expectedModel) throw new PromptModelMismatchException(fullWeightsPath, config.BaseModel, expectedModel);
        string weightsHash = HashFile(fullWeightsPath);
        if (weightsHash != config.WeightsSha256)
            throw new CheckpointFormatException(
                $"'{fullWeightsPath}' (sha256 {weightsHash}) is not the weights file its config '{configPath}' was written with (sha256 {config.WeightsSha256}); " +
                "a save was interrupted or the files were mixed up.");

        using var file = SafetensorsFile.Open(fullWeightsPath);
        float[] prompt = ReadMatrix(file, PromptTensorNames.Prompt, config.PromptLength, config.DModel);
        if (config.Method == PromptMethod.PromptTuning) return new PromptFileContents(config, prompt, null, null);
        return new PromptFileContents(config, prompt,
            ReadMatrix(file, PromptTensorNames.LowRankA, config.MaxLength, config.Rank),
            ReadMatrix(file, PromptTensorNames.LowRankB, config.Rank, config.DModel));
    }

    /// <summary>Reads a prompt file (as <see cref="Read"/>) into a new <see cref="PromptTuning"/> or <see cref="DecomposedPrompt"/> on <paramref name="backend"/>.</summary>
    public static SoftPrompt Load(string weightsPath, IBackend backend, ModelIdentity expectedModel)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var contents = Read(weightsPath, expectedModel);
        var c = contents.Config;
        SoftPrompt prompt = c.Method == PromptMethod.PromptTuning
            ? new PromptTuning(backend, c.PromptLength, c.DModel)
            : new DecomposedPrompt(backend, c.PromptLength, c.DModel, c.MaxLength, c.Rank, lowRankSeed: 0, c.Alpha);
        try
        {
            Assign(prompt, contents, weightsPath);
            return prompt;
        }
        catch
        {
            prompt.Dispose();
            throw;
        }
    }

    /// <summary>Reads a prompt file (as <see cref="Read"/>) into an existing prompt of the same method and shapes (to resume training).</summary>
    /// <exception cref="CheckpointFormatException">The file holds another method, other shapes or another scale than <paramref name="prompt"/>.</exception>
    public static void LoadInto(string weightsPath, SoftPrompt prompt, ModelIdentity expectedModel)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var contents = Read(weightsPath, expectedModel);
        var c = contents.Config;
        var (method, rank, maxLength) = prompt is DecomposedPrompt d ? (PromptMethod.Decomposed, d.Rank, d.MaxLength) : (PromptMethod.PromptTuning, 0, 0);
        if (c.Method != method || c.PromptLength != prompt.PromptLength || c.Rank != rank || c.MaxLength != maxLength || c.DModel != prompt.Dim)
            throw new CheckpointFormatException(
                $"'{ConfigPath(weightsPath)}' holds a {c.Method} prompt with m={c.PromptLength}, r={c.Rank}, s={c.MaxLength}, d={c.DModel}; " +
                $"the prompt being trained is {method} with m={prompt.PromptLength}, r={rank}, s={maxLength}, d={prompt.Dim}.");
        Assign(prompt, contents, weightsPath);
    }

    private static void Assign(SoftPrompt prompt, PromptFileContents contents, string weightsPath)
    {
        var c = contents.Config;
        if (prompt is DecomposedPrompt { Scale: var scale } && scale != c.Scale)   // checked before anything is copied
            throw new CheckpointFormatException($"'{ConfigPath(weightsPath)}': scale {c.Scale} does not follow from alpha {c.Alpha} and rank {c.Rank} ({scale}).");
        prompt.Prompt.CopyFrom(contents.Prompt);
        if (prompt is DecomposedPrompt dept)
        {
            dept.LowRankA.CopyFrom(contents.LowRankA);
            dept.LowRankB.CopyFrom(contents.LowRankB);
        }
    }

    private static void WriteConfig(Stream stream, PromptConfig config)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("format_version", config.FormatVersion);
        json.WriteString("method", config.Method == PromptMethod.Decomposed ? "dept" : "pt");
        json.WriteNumber("prompt_length", config.PromptLength);
        json.WriteNumber("rank", config.Rank);
        json.WriteNumber("max_length", config.MaxLength);
        if (config.Alpha is { } alpha) json.WriteNumber("alpha", alpha);
        else json.WriteNull("alpha");
        json.WriteNumber("scale", config.Scale);
        json.WriteNumber("d_model", config.DModel);
        json.WriteString("weights_sha256", config.WeightsSha256);
        json.WriteStartObject("base_model");
        json.WriteString("model_type", config.BaseModel.ModelType);
        json.WriteNumber("d_model", config.BaseModel.DModel);
        json.WriteNumber("vocab_size", config.BaseModel.VocabSize);
        json.WriteNumber("num_layers", config.BaseModel.LayerCount);
        json.WriteString("word_embeddings_sha256", config.BaseModel.EmbeddingSha256);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static PromptConfig ReadConfig(string path)
    {
        using (var document = JsonFile.Parse(path, ex => new CheckpointFormatException($"'{path}' is not valid JSON: {ex.Message}", ex)))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException($"'{path}' holds {root.ValueKind}, not a JSON object.");
            int version = CheckpointJson.CheckVersion(CheckpointJson.Int32(root, "format_version", path), FormatVersion, path, "format_version");
            string methodText = CheckpointJson.String(root, "method", path);
            var method = methodText switch
            {
                "pt" => PromptMethod.PromptTuning,
                "dept" => PromptMethod.Decomposed,
                _ => throw new CheckpointFormatException($"'{path}': method is \"{methodText}\", expected \"pt\" or \"dept\"."),
            };
            var baseModel = CheckpointJson.Object(root, "base_model", path);
            var identity = new ModelIdentity(
                CheckpointJson.String(baseModel, "model_type", path),
                CheckpointJson.Int32(baseModel, "d_model", path),
                CheckpointJson.Int32(baseModel, "vocab_size", path),
                CheckpointJson.Int32(baseModel, "num_layers", path),
                CheckpointJson.String(baseModel, "word_embeddings_sha256", path));
            var config = new PromptConfig(version, method,
                CheckpointJson.Int32(root, "prompt_length", path),
                CheckpointJson.Int32(root, "rank", path),
                CheckpointJson.Int32(root, "max_length", path),
                CheckpointJson.NullableSingle(root, "alpha", path),
                CheckpointJson.Single(root, "scale", path),
                CheckpointJson.Int32(root, "d_model", path),
                CheckpointJson.String(root, "weights_sha256", path),
                identity);
            bool shapesValid = config.PromptLength >= 1 && config.DModel >= 1 && config.DModel == identity.DModel
                && (method == PromptMethod.PromptTuning ? config.Rank == 0 : config.Rank >= 1 && config.MaxLength >= 1);
            if (!shapesValid)
                throw new CheckpointFormatException(
                    $"'{path}': method {methodText} with prompt_length={config.PromptLength}, rank={config.Rank}, max_length={config.MaxLength}, " +
                    $"d_model={config.DModel} (base model d_model={identity.DModel}) is not a valid prompt shape.");
            return config;
        }
    }

    private static float[] ReadMatrix(SafetensorsFile file, string name, int rows, int cols)
    {
        if (!file.TryGetInfo(name, out var info))
            throw new CheckpointFormatException($"'{file.FilePath}' has no tensor '{name}'.");
        if (info.Shape.Length != 2 || info.Shape[0] != rows || info.Shape[1] != cols)
            throw new CheckpointFormatException($"'{file.FilePath}': '{name}' is [{string.Join(", ", info.Shape)}], its config says [{rows}, {cols}].");
        return file.ReadFloat32(name);
    }

    private static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void CheckWeightsPath(string weightsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(weightsPath);
        if (!weightsPath.EndsWith(WeightsExtension, StringComparison.Ordinal))
            throw new ArgumentException($"A prompt's weights path must end in {WeightsExtension} (its config takes .json); got '{weightsPath}'.", nameof(weightsPath));
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The failure that stopped the save matters more; the next save overwrites a leftover.
        }
    }
}
