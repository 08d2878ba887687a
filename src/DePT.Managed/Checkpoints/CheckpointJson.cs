using System.Text.Json;

namespace DePT.Checkpoints;

/// <summary>Reads required JSON fields with errors that name the file and the field.</summary>
internal static class CheckpointJson
{
    public static JsonElement Object(JsonElement parent, string name, string path)
    {
        var value = Field(parent, name, path);
        if (value.ValueKind != JsonValueKind.Object) throw Wrong(path, name, "an object", value);
        return value;
    }

    public static int Int32(JsonElement parent, string name, string path)
    {
        var value = Field(parent, name, path);
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int result)) throw Wrong(path, name, "an int32", value);
        return result;
    }

    public static float Single(JsonElement parent, string name, string path)
    {
        var value = Field(parent, name, path);
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetSingle(out float result)) throw Wrong(path, name, "a number", value);
        return result;
    }

    public static float? NullableSingle(JsonElement parent, string name, string path) =>
        Field(parent, name, path).ValueKind == JsonValueKind.Null ? null : Single(parent, name, path);

    public static string String(JsonElement parent, string name, string path)
    {
        var value = Field(parent, name, path);
        if (value.ValueKind != JsonValueKind.String) throw Wrong(path, name, "a string", value);
        return value.GetString()!;
    }

    /// <summary>Refuses a format version above what this reader understands, before any other field is read.</summary>
    public static int CheckVersion(int version, int supported, string path, string field)
    {
        if (version > supported)
            throw new CheckpointFormatException(
                $"'{path}': {field} is {version}, newer than this library understands ({supported}); update DePT to read it.");
        if (version < 1) throw new CheckpointFormatException($"'{path}': {field} is {version}; versions start at 1.");
        return version;
    }

    private static JsonElement Field(JsonElement parent, string name, string path) =>
        parent.TryGetProperty(name, out var value) ? value : throw new CheckpointFormatException($"'{path}': the field '{name}' is missing.");

    private static CheckpointFormatException Wrong(string path, string name, string expected, JsonElement value) =>
        new($"'{path}': the field '{name}' is {value.GetRawText()}, expected {expected}.");
}
