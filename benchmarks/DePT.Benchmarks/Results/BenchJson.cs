using System.Text;
using System.Text.Json;

namespace DePT.Benchmarks.Results;

/// <summary>Reads and writes dept-bench/1 files.</summary>
internal static class BenchJson
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The run as indented JSON.</summary>
    public static string Serialize(BenchRun run) => JsonSerializer.Serialize(run, s_options);

    /// <summary>Writes <paramref name="run"/> to a temporary file beside <paramref name="path"/>, then renames it over.</summary>
    public static void Write(string path, BenchRun run)
    {
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, Serialize(run) + "\n", new UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads a run from <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not JSON, not of schema dept-bench/1, or a row lacks its model or method.</exception>
    public static BenchRun Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No benchmark result file at '{path}'.", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses a run; <paramref name="source"/> names it in messages. Bare NaN/Infinity (Python's json) read as null.</summary>
    /// <inheritdoc cref="Read" path="/exception"/>
    public static BenchRun Parse(string json, string source)
    {
        BenchRun? run;
        try
        {
            run = JsonSerializer.Deserialize<BenchRun>(NonFiniteToNull(json), s_options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a dept-bench/1 JSON file (at {e.Path ?? "the start"}): {e.Message}", e);
        }
        if (run is null) throw new InvalidDataException($"{source}: holds JSON null, not a benchmark run.");
        if (run.Schema != BenchRun.SchemaName)
            throw new InvalidDataException($"{source}: schema is '{run.Schema}'; this harness reads '{BenchRun.SchemaName}'.");
        if (string.IsNullOrWhiteSpace(run.Implementation))
            throw new InvalidDataException($"{source}: 'implementation' is empty; expected 'dept' or 'pytorch'.");
        for (int i = 0; i < run.Rows.Count; i++)
        {
            var row = run.Rows[i];
            if (row is null || string.IsNullOrWhiteSpace(row.Model) || string.IsNullOrWhiteSpace(row.Method))
                throw new InvalidDataException($"{source}: rows[{i}] has no 'model' or 'method'.");
        }
        return run;
    }

    /// <summary>Replaces the bare tokens NaN, Infinity and -Infinity outside strings by null.</summary>
    internal static string NonFiniteToNull(string json)
    {
        var result = new StringBuilder(json.Length);
        bool inString = false;
        for (int i = 0; i < json.Length; i++)
        {
            char c = json[i];
            if (inString)
            {
                result.Append(c);
                if (c == '\\' && i + 1 < json.Length) result.Append(json[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            int skip = Token(json, i, "-Infinity") ?? Token(json, i, "Infinity") ?? Token(json, i, "NaN") ?? 0;
            if (skip > 0)
            {
                result.Append("null");
                i += skip - 1;
                continue;
            }
            result.Append(c);
        }
        return result.ToString();
    }

    private static int? Token(string json, int at, string token) =>
        string.CompareOrdinal(json, at, token, 0, token.Length) == 0 ? token.Length : null;
}
