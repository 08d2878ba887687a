using System.Globalization;
using System.Text.Json;
using DePT.Backends;
using DePT.Data;
using DePT.IO;
using DePT.Training.Classification;

namespace DePT.Checkpoints;

/// <summary>
/// A trained classification head on disk: one safetensors file with <c>classifier.weight</c> (C, d) and
/// <c>classifier.bias</c> (C) F32 (the names of a transformers sequence-classification head) and, in its metadata, the
/// format version, the label names in class order and the base model's <see cref="ModelIdentity"/>, so a head is never
/// applied to another model or read with its classes in another order. Written atomically by <see cref="SafetensorsWriter"/>.
/// </summary>
public static class ClassificationHeadFile
{
    /// <summary>The format version this library writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The weight tensor's name.</summary>
    public const string WeightName = "classifier.weight";

    /// <summary>The bias tensor's name.</summary>
    public const string BiasName = "classifier.bias";

    private const string Kind = "dept_classification_head";

    /// <summary>Writes <paramref name="head"/>'s current values, its labels and the base model's identity to <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">The labels are not one per class, or the head's width is not the model's.</exception>
    public static void Save(string path, ClassificationHead head, LabelSet labels, ModelIdentity baseModel)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(baseModel);
        if (labels.Count != head.ClassCount) throw new ArgumentException($"Saving '{path}': {labels.Count} labels for a head of {head.ClassCount} classes.", nameof(labels));
        if (head.InputDim != baseModel.DModel) throw new ArgumentException($"Saving '{path}': the head takes d={head.InputDim}; the model's d_model is {baseModel.DModel}.", nameof(head));
        head.Backend.Synchronize();
        var metadata = new Dictionary<string, string>
        {
            ["kind"] = Kind,
            ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["labels"] = JsonSerializer.Serialize(labels.Labels),
            ["model_type"] = baseModel.ModelType,
            ["d_model"] = baseModel.DModel.ToString(CultureInfo.InvariantCulture),
            ["vocab_size"] = baseModel.VocabSize.ToString(CultureInfo.InvariantCulture),
            ["num_layers"] = baseModel.LayerCount.ToString(CultureInfo.InvariantCulture),
            ["word_embeddings_sha256"] = baseModel.EmbeddingSha256,
        };
        SafetensorsWriter.Write(path, [
            SafetensorsTensor.Float32(WeightName, head.Weight.ToFloatArray(), head.ClassCount, head.InputDim),
            SafetensorsTensor.Float32(BiasName, head.Bias.ToFloatArray(), head.ClassCount),
        ], metadata);
    }

    /// <summary>Reads a head file into a new head on <paramref name="backend"/>, with its labels in class order.</summary>
    /// <exception cref="CheckpointFormatException">Not a head file, a newer format, or a missing or malformed entry; the message names the file and entry.</exception>
    /// <exception cref="PromptModelMismatchException">The head was trained on another model.</exception>
    public static (ClassificationHead Head, LabelSet Labels) Load(string path, IBackend backend, ModelIdentity expectedModel)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var (weight, bias, labels) = Read(path, expectedModel);
        var head = new ClassificationHead(backend, expectedModel.DModel, labels.Count, seed: 0);
        try
        {
            head.Weight.CopyFrom(weight);
            head.Bias.CopyFrom(bias);
            return (head, labels);
        }
        catch
        {
            head.Dispose();
            throw;
        }
    }

    /// <summary>Reads a head file into an existing head of the same shape (to resume training).</summary>
    /// <exception cref="CheckpointFormatException">The file's shape or labels differ from <paramref name="head"/>'s and <paramref name="labels"/>.</exception>
    public static void LoadInto(string path, ClassificationHead head, LabelSet labels, ModelIdentity expectedModel)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(labels);
        var (weight, bias, saved) = Read(path, expectedModel);
        if (!saved.Labels.SequenceEqual(labels.Labels))
            throw new CheckpointFormatException($"'{Path.GetFullPath(path)}' classifies into [{string.Join(", ", saved.Labels)}]; the head being trained into [{string.Join(", ", labels.Labels)}].");
        head.Weight.CopyFrom(weight);
        head.Bias.CopyFrom(bias);
    }

    private static (float[] Weight, float[] Bias, LabelSet Labels) Read(string path, ModelIdentity expectedModel)
    {
        ArgumentNullException.ThrowIfNull(expectedModel);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"The classification head '{full}' is missing.", full);
        using var file = SafetensorsFile.Open(full);
        string where = $"'{full}'";
        var meta = file.Metadata;
        string Entry(string key) => meta.TryGetValue(key, out var value) ? value : throw new CheckpointFormatException($"{where}: the metadata entry '{key}' is missing.");
        int Int(string key) => int.TryParse(Entry(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value
            : throw new CheckpointFormatException($"{where}: the metadata entry '{key}' is \"{Entry(key)}\", not an integer.");

        if (Entry("kind") != Kind) throw new CheckpointFormatException($"{where}: kind is \"{Entry("kind")}\", not a classification head (\"{Kind}\").");
        CheckpointJson.CheckVersion(Int("format_version"), FormatVersion, full, "format_version");
        var identity = new ModelIdentity(Entry("model_type"), Int("d_model"), Int("vocab_size"), Int("num_layers"), Entry("word_embeddings_sha256"));
        if (identity != expectedModel) throw new PromptModelMismatchException(full, identity, expectedModel);

        string[] names;
        try
        {
            names = JsonSerializer.Deserialize<string[]>(Entry("labels")) ?? throw new JsonException("null");
        }
        catch (JsonException ex)
        {
            throw new CheckpointFormatException($"{where}: the metadata entry 'labels' is \"{Entry("labels")}\", not a JSON array of label names.", ex);
        }
        if (names.Length < 2) throw new CheckpointFormatException($"{where}: a head needs at least 2 labels; the file lists {names.Length}.");
        foreach (string name in new[] { WeightName, BiasName })
            if (!file.Contains(name)) throw new CheckpointFormatException($"{where}: the tensor '{name}' is missing.");
        var weightShape = file.GetInfo(WeightName).Shape;
        var biasShape = file.GetInfo(BiasName).Shape;
        if (weightShape.Length != 2 || weightShape[0] != names.Length || weightShape[1] != expectedModel.DModel || biasShape.Length != 1 || biasShape[0] != names.Length)
            throw new CheckpointFormatException(
                $"{where}: the weight is [{string.Join(", ", weightShape)}] and the bias [{string.Join(", ", biasShape)}]; {names.Length} labels at d={expectedModel.DModel} need [{names.Length}, {expectedModel.DModel}] and [{names.Length}].");
        return (file.ReadFloat32(WeightName), file.ReadFloat32(BiasName), new LabelSet(names));
    }
}
