using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using DePT.Backends.Cuda;

namespace DePT.Tests.OpsGpu;

/// <summary>
/// Every kernel argument struct of the embedded CUDA headers against its C# mirror: the same size and the
/// same field types in the same order. A drift here would make kernels read garbage with no error at all,
/// so it is checked on every machine, GPU or not.
/// </summary>
public partial class KernelArgsLayoutTests
{
    private const string ResourcePrefix = "DePT.Kernels.";

    // Kernel structs whose C# mirror carries another name (one mirror serves two identical layouts).
    private static readonly Dictionary<string, string> Mirrors = new() { ["PoolBackwardArgs"] = nameof(PoolArgs) };

    public static IEnumerable<TestCaseData> Structs()
    {
        var assembly = typeof(CudaBackend).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal) && r.EndsWith(".cuh", StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            string text = reader.ReadToEnd();
            foreach (Match assertion in SizeAssertion().Matches(text))
            {
                string name = assertion.Groups[1].Value;
                yield return new TestCaseData(resource[ResourcePrefix.Length..], name, int.Parse(assertion.Groups[2].Value), StructBody(text, name))
                    .SetArgDisplayNames(name);
            }
        }
    }

    [Test]
    public void EveryOpsHeaderHasAssertedStructs()
    {
        var headers = Structs().Select(c => (string)c.Arguments[0]!).Distinct().ToArray();
        Assert.That(headers, Is.SupersetOf(new[] { "elementwise.cuh", "activation.cuh", "norm.cuh", "embedding.cuh", "attention.cuh", "linear.cuh", "loss.cuh", "pool.cuh" }));
    }

    [TestCaseSource(nameof(Structs))]
    public void MirrorMatchesTheKernelStruct(string header, string name, int size, string body)
    {
        string mirrorName = Mirrors.GetValueOrDefault(name, name);
        var mirror = typeof(CudaBackend).Assembly.GetType($"DePT.Backends.Cuda.{mirrorName}");
        Assert.That(mirror, Is.Not.Null, $"{header} declares {name}; no C# mirror DePT.Backends.Cuda.{mirrorName} exists.");
        Assert.That(Marshal.SizeOf(mirror!), Is.EqualTo(size), $"sizeof({name}) in {header} vs the C# mirror");

        var fields = mirror!.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .OrderBy(f => Marshal.OffsetOf(mirror, f.Name).ToInt64())
            .Select(f => f.FieldType.Name)
            .ToArray();
        Assert.That(fields, Is.EqualTo(CFieldTypes(body)), $"field types of {name} in {header} (in order) vs the C# mirror");
    }

    // The struct's members as the C# types that mirror them: pointers and unsigned 64-bit → UInt64, long long → Int64.
    private static string[] CFieldTypes(string body)
    {
        var types = new List<string>();
        foreach (var raw in body.Split(';'))
        {
            string declaration = raw.Trim();
            if (declaration.Length == 0) continue;
            int names = declaration.Count(c => c == ',') + 1;
            string type = declaration.Contains('*') ? "UInt64"
                : declaration.StartsWith("unsigned long long", StringComparison.Ordinal) ? "UInt64"
                : declaration.StartsWith("long long", StringComparison.Ordinal) ? "Int64"
                : declaration.StartsWith("int ", StringComparison.Ordinal) ? "Int32"
                : declaration.StartsWith("float ", StringComparison.Ordinal) ? "Single"
                : throw new FormatException($"Unrecognised member declaration '{declaration}'.");
            types.AddRange(Enumerable.Repeat(type, names));
        }
        return [.. types];
    }

    // "struct Name { ... };" with the comments removed
    private static string StructBody(string text, string name)
    {
        // Comments go first: they may hold braces ("{code, value, position, limit}").
        var code = Regex.Replace(text, @"//[^\n]*", "");
        var match = Regex.Match(code, $@"struct\s+{name}\s*\{{(?<body>[^}}]*)\}};");
        if (!match.Success) throw new FormatException($"No definition of struct {name}.");
        return match.Groups["body"].Value;
    }

    [GeneratedRegex(@"static_assert\(sizeof\((\w+)\) == (\d+)")]
    private static partial Regex SizeAssertion();
}
