using System.Text.Json;

namespace DePT.Models;

/// <summary>
/// A Hugging Face model's <c>config.json</c>, parsed and checked. <see cref="Load"/> dispatches on
/// <c>model_type</c> (or, when that is absent, on <c>architectures</c>) to <see cref="T5Config"/>,
/// <see cref="BertConfig"/> or <see cref="LlamaConfig"/>; every error names the file and the field.
/// </summary>
public abstract class ModelConfig
{
    /// <summary>The file name Hugging Face gives a model's config.</summary>
    public const string FileName = "config.json";

    private protected ModelConfig(ConfigJsonReader reader, string modelType)
    {
        SourcePath = reader.FilePath;
        ModelType = modelType;
        Architectures = reader.OptionalStringArray("architectures");
        VocabSize = reader.RequiredPositiveInt("vocab_size");
    }

    /// <summary>The model types <see cref="Load"/> understands.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["bert", "llama", "mistral", "mt5", "qwen2", "t5"];

    /// <summary>The config file this was read from (or the name given to <see cref="Parse"/>).</summary>
    public string SourcePath { get; }

    /// <summary><c>model_type</c>, e.g. <c>t5</c> or <c>bert</c>.</summary>
    public string ModelType { get; }

    /// <summary><c>architectures</c>, e.g. <c>T5ForConditionalGeneration</c>; empty when absent.</summary>
    public IReadOnlyList<string> Architectures { get; }

    /// <summary><c>vocab_size</c>: rows of the word-embedding matrix.</summary>
    public int VocabSize { get; }

    /// <summary>Reads <c>config.json</c> from the model folder <paramref name="folderOrFile"/> (or that file itself).</summary>
    /// <exception cref="DirectoryNotFoundException">Neither a folder nor a file exists at that path.</exception>
    /// <exception cref="FileNotFoundException">The folder has no <c>config.json</c>.</exception>
    /// <exception cref="ModelConfigException">Malformed JSON, an unknown model type, or a missing or invalid field.</exception>
    public static ModelConfig Load(string folderOrFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(folderOrFile);
        string fullPath = Path.GetFullPath(folderOrFile);
        string configPath;
        if (Directory.Exists(fullPath))
        {
            configPath = Path.Combine(fullPath, FileName);
            if (!File.Exists(configPath))
            {
                throw new FileNotFoundException($"Model folder '{fullPath}' has no {FileName}.", configPath);
            }
        }
        else if (File.Exists(fullPath))
        {
            configPath = fullPath;
        }
        else
        {
            throw new DirectoryNotFoundException($"Model folder '{fullPath}' does not exist.");
        }
        return Parse(File.ReadAllText(configPath), configPath);
    }

    /// <summary>Reads the config and requires it to be a <typeparamref name="TConfig"/>.</summary>
    /// <exception cref="ModelConfigException">The config describes another family, or is invalid.</exception>
    /// <inheritdoc cref="Load" path="/exception"/>
    public static TConfig Load<TConfig>(string folderOrFile) where TConfig : ModelConfig
    {
        var config = Load(folderOrFile);
        return config as TConfig
            ?? throw new ModelConfigException(config.SourcePath, "model_type",
                $"is '{config.ModelType}', which is parsed as {config.GetType().Name}, not the {typeof(TConfig).Name} asked for.");
    }

    /// <summary>Parses config JSON; <paramref name="sourcePath"/> names it in errors.</summary>
    /// <exception cref="ModelConfigException">Malformed JSON, an unknown model type, or a missing or invalid field.</exception>
    public static ModelConfig Parse(string json, string sourcePath)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentException.ThrowIfNullOrEmpty(sourcePath);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new ModelConfigException(sourcePath, null, $"not valid JSON ({ex.Message}).", ex);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelConfigException(sourcePath, null, $"the root is a JSON {document.RootElement.ValueKind}, expected an object.");
            }
            var reader = new ConfigJsonReader(document.RootElement, sourcePath);
            string modelType = ResolveModelType(reader);
            return modelType switch
            {
                "t5" or "mt5" => new T5Config(reader, modelType),
                "bert" => new BertConfig(reader, modelType),
                "llama" or "mistral" or "qwen2" => new LlamaConfig(reader, modelType),
                _ => throw reader.Error("model_type",
                    $"'{modelType}' is not supported; supported model types: {string.Join(", ", SupportedModelTypes)}."),
            };
        }
    }

    /// <summary><c>model_type</c>, or the family its <c>architectures</c> name when that field is absent.</summary>
    private static string ResolveModelType(ConfigJsonReader reader)
    {
        string? modelType = reader.OptionalString("model_type");
        if (modelType is not null)
        {
            return modelType;
        }
        var architectures = reader.OptionalStringArray("architectures");
        foreach (string architecture in architectures)
        {
            if (architecture.StartsWith("MT5", StringComparison.Ordinal))
            {
                return "mt5";
            }
            if (architecture.StartsWith("T5", StringComparison.Ordinal))
            {
                return "t5";
            }
            if (architecture.StartsWith("Bert", StringComparison.Ordinal))
            {
                return "bert";
            }
            foreach (string family in (ReadOnlySpan<string>)["Llama", "Mistral", "Qwen2"])
            {
                if (architecture == family + "ForCausalLM")
                {
                    return family.ToLowerInvariant();
                }
            }
        }
        throw reader.Error("model_type",
            $"is missing and architectures [{string.Join(", ", architectures)}] name no supported family; supported model types: {string.Join(", ", SupportedModelTypes)}.");
    }
}
