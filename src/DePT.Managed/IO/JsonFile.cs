using System.Text.Json;

namespace DePT.IO;

/// <summary>Reads whole JSON files for the loaders, each of which names the file in its own exception type.</summary>
internal static class JsonFile
{
    /// <summary>Parses the file at <paramref name="path"/>; malformed JSON throws what <paramref name="invalid"/> makes of the parser's error.</summary>
    /// <param name="path">The file (it must exist).</param>
    /// <param name="invalid">The exception to throw for the parser's error, naming the file.</param>
    public static JsonDocument Parse(string path, Func<JsonException, Exception> invalid)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw invalid(ex);
        }
    }
}
