using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using DePT.IO;

namespace DePT.Tests.Checkpoints;

/// <summary>Edits of written checkpoint files, to make damaged or newer ones.</summary>
internal static class SafetensorsEdits
{
    /// <summary>Sets the header metadata entry <paramref name="key"/> to <paramref name="value"/> in place (the value must keep its length, so the data offsets hold).</summary>
    public static void SetMetadata(string path, string key, string value)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        string header = Encoding.UTF8.GetString(bytes, 8, length);
        var pattern = new Regex($"(\"{Regex.Escape(key)}\"\\s*:\\s*\")([^\"]*)(\")");
        var match = pattern.Match(header);
        if (!match.Success) throw new InvalidOperationException($"{path} has no metadata entry '{key}'.");
        if (match.Groups[2].Value.Length != value.Length) throw new ArgumentException($"'{key}' is \"{match.Groups[2].Value}\"; the new value must have its length.", nameof(value));
        string edited = pattern.Replace(header, $"${{1}}{value}${{3}}", 1);
        Encoding.UTF8.GetBytes(edited).CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Rewrites an all-F32 file with <paramref name="edit"/> applied to its tensors and its metadata kept.</summary>
    public static void RewriteFloat32(string path, Func<List<(string Name, float[] Values, long[] Shape)>, IEnumerable<(string Name, float[] Values, long[] Shape)>> edit)
    {
        List<(string, float[], long[])> tensors;
        Dictionary<string, string> metadata;
        using (var file = SafetensorsFile.Open(path))
        {
            tensors = file.Tensors.Select(t => (t.Name, file.ReadFloat32(t.Name), t.Shape.ToArray())).ToList();
            metadata = new Dictionary<string, string>(file.Metadata);
        }
        SafetensorsWriter.Write(path, edit(tensors).Select(t => SafetensorsTensor.Float32(t.Name, t.Values, t.Shape)).ToList(), metadata);
    }
}
