using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace DePT.Kernels;

/// <summary>The CUDA sources embedded in this assembly (kernels.cu and the headers it includes).</summary>
internal static class KernelSources
{
    public const string MainFile = "kernels.cu";
    private const string Prefix = "DePT.Kernels.";

    private static readonly Lazy<IReadOnlyDictionary<string, string>> s_files = new(ReadAll);

    /// <summary>File name → source text.</summary>
    public static IReadOnlyDictionary<string, string> Files => s_files.Value;

    /// <summary>A hex SHA-256 over every file's name and text, in name order.</summary>
    public static string Hash()
    {
        var sb = new StringBuilder();
        foreach (var (name, text) in Files.OrderBy(f => f.Key, StringComparer.Ordinal))
            sb.Append(name).Append('\0').Append(text).Append('\0');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static IReadOnlyDictionary<string, string> ReadAll()
    {
        var assembly = typeof(KernelSources).Assembly;
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            files[resource[Prefix.Length..]] = reader.ReadToEnd();
        }
        if (!files.ContainsKey(MainFile))
            throw new InvalidOperationException($"The kernel source {MainFile} is not embedded in {assembly.GetName().Name}; the build is broken.");
        return files;
    }
}
