using System.Text.Json;

namespace DePT.Models;

/// <summary>
/// Reads typed fields from a config's root JSON object, throwing <see cref="ModelConfigException"/> that names the
/// file and field. A field set to JSON <c>null</c> counts as absent, as transformers treats it. A nested object
/// (<see cref="OptionalObject"/>) is read by a reader whose messages name the field as <c>outer.inner</c>.
/// </summary>
internal sealed class ConfigJsonReader(JsonElement root, string filePath, string fieldPrefix = "")
{
    public string FilePath { get; } = filePath;

    /// <summary>Whether the field is present and not null.</summary>
    public bool Has(string field) => TryGet(field, out _);

    /// <summary>A nested JSON object as its own reader, or null when absent.</summary>
    public ConfigJsonReader? OptionalObject(string field)
    {
        if (!TryGet(field, out var element))
        {
            return null;
        }
        return element.ValueKind == JsonValueKind.Object
            ? new ConfigJsonReader(element, FilePath, fieldPrefix + field + ".")
            : throw Error(field, $"is {element.GetRawText()}, expected an object.");
    }

    /// <summary>A positive finite number that must be present.</summary>
    public double RequiredPositiveDouble(string field) =>
        TryGet(field, out _) ? OptionalPositiveDouble(field, 1) : throw Error(field, "is required but missing.");

    /// <summary>
    /// Token ids written as one integer or an array of integers (Llama 3's <c>eos_token_id</c> is a list), each in
    /// [0, <paramref name="vocabSize"/>); empty when absent.
    /// </summary>
    public IReadOnlyList<int> OptionalTokenIds(string field, int vocabSize)
    {
        if (!TryGet(field, out var element))
        {
            return [];
        }
        var ids = element.ValueKind == JsonValueKind.Array
            ? element.EnumerateArray().Select(item => ReadInt(field, item)).ToArray()
            : [ReadInt(field, element)];
        foreach (int id in ids)
        {
            if (id < 0 || id >= vocabSize)
            {
                throw Error(field, $"holds {id}, outside the vocabulary [0, {vocabSize}).");
            }
        }
        return ids;
    }

    public int RequiredPositiveInt(string field) =>
        TryGet(field, out var element)
            ? CheckPositive(field, ReadInt(field, element))
            : throw Error(field, "is required but missing.");

    public int OptionalPositiveInt(string field, int defaultValue) =>
        TryGet(field, out var element) ? CheckPositive(field, ReadInt(field, element)) : defaultValue;

    /// <summary>A token id: an integer in [0, <paramref name="vocabSize"/>).</summary>
    public int OptionalTokenId(string field, int defaultValue, int vocabSize)
    {
        if (!TryGet(field, out var element))
        {
            return defaultValue;
        }
        int id = ReadInt(field, element);
        return id >= 0 && id < vocabSize ? id : throw Error(field, $"is {id}, outside the vocabulary [0, {vocabSize}).");
    }

    /// <summary>A dropout probability in [0, 1).</summary>
    public double OptionalProbability(string field, double defaultValue)
    {
        double value = TryGet(field, out var element) ? ReadDouble(field, element) : defaultValue;
        return value is >= 0 and < 1 ? value : throw Error(field, $"is {value}; a dropout probability lies in [0, 1).");
    }

    /// <summary>A positive finite number such as a layer-norm epsilon.</summary>
    public double OptionalPositiveDouble(string field, double defaultValue)
    {
        double value = TryGet(field, out var element) ? ReadDouble(field, element) : defaultValue;
        return value > 0 && double.IsFinite(value) ? value : throw Error(field, $"is {value}; it must be a positive finite number.");
    }

    public bool OptionalBool(string field, bool defaultValue)
    {
        if (!TryGet(field, out var element))
        {
            return defaultValue;
        }
        return element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(field, $"is {element.GetRawText()}, expected true or false."),
        };
    }

    public string? OptionalString(string field)
    {
        if (!TryGet(field, out var element))
        {
            return null;
        }
        return element.ValueKind == JsonValueKind.String
            ? element.GetString()!
            : throw Error(field, $"is {element.GetRawText()}, expected a string.");
    }

    public IReadOnlyList<string> OptionalStringArray(string field)
    {
        if (!TryGet(field, out var element))
        {
            return [];
        }
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Error(field, $"is {element.GetRawText()}, expected an array of strings.");
        }
        return element.EnumerateArray()
            .Select(item => item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw Error(field, $"holds {item.GetRawText()}, expected strings."))
            .ToArray();
    }

    public ModelConfigException Error(string field, string problem) => new(FilePath, fieldPrefix + field, problem);

    private bool TryGet(string field, out JsonElement element) =>
        root.TryGetProperty(field, out element) && element.ValueKind != JsonValueKind.Null;

    private int ReadInt(string field, JsonElement element) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out int value)
            ? value
            : throw Error(field, $"is {element.GetRawText()}, expected an integer.");

    private double ReadDouble(string field, JsonElement element) =>
        element.ValueKind == JsonValueKind.Number
            ? element.GetDouble()
            : throw Error(field, $"is {element.GetRawText()}, expected a number.");

    private int CheckPositive(string field, int value) =>
        value > 0 ? value : throw Error(field, $"is {value}; it must be a positive integer.");
}
