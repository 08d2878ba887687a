using System.Globalization;
using DePT.Backends;
using DePT.IO;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>
/// One committed Hugging Face reference (tests/DePT.Tests/Fixtures/reference/&lt;model&gt;): the model folder and its
/// fixture.safetensors, format <c>dept-reference</c> version 1, read after checking both.
/// </summary>
internal sealed class ReferenceFixture : IDisposable
{
    private readonly SafetensorsFile _file;

    private ReferenceFixture(string folder)
    {
        Folder = folder;
        _file = SafetensorsFile.Open(Path.Combine(folder, "fixture.safetensors"));
        if (Meta("format") != "dept-reference" || Meta("version") != "1")
            throw new InvalidDataException($"{_file.FilePath} is format '{Meta("format")}' version '{Meta("version")}', expected dept-reference 1.");
    }

    /// <summary>The model folder (config.json + model.safetensors).</summary>
    public string Folder { get; }

    public int PromptLength => int.Parse(Meta("prompt_len"), CultureInfo.InvariantCulture);

    public float LowRankScale => float.Parse(Meta("lowrank_scale"), CultureInfo.InvariantCulture);

    /// <summary>The float64 loss as the metadata writes it in full.</summary>
    public double Loss => double.Parse(Meta("loss"), CultureInfo.InvariantCulture);

    public static ReferenceFixture Open(string model) => new(Path.Combine(Root, model));

    /// <summary>tests/DePT.Tests/Fixtures/reference, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    public string Meta(string key) => _file.Metadata.TryGetValue(key, out var value)
        ? value
        : throw new KeyNotFoundException($"{_file.FilePath} has no metadata '{key}'.");

    public int[] Shape(string name) => _file.GetInfo(name).GetShapeInt32();

    public float[] Floats(string name) => _file.ReadFloat32(name);

    public int[] Ints(string name) => _file.ReadInt64(name).Select(v => checked((int)v)).ToArray();

    /// <summary>Uploads a float tensor of the fixture, optionally under another shape of the same size.</summary>
    public Tensor UploadFloats(IBackend backend, string name, DType dtype, params int[] shape)
    {
        var tensor = backend.Allocate(dtype, shape.Length == 0 ? Shape(name) : shape);
        tensor.CopyFrom(Floats(name));
        return tensor;
    }

    /// <summary>Uploads an I64 tensor of the fixture as I32.</summary>
    public Tensor UploadInts(IBackend backend, string name)
    {
        var tensor = backend.Allocate(DType.I32, Shape(name));
        tensor.CopyFrom(Ints(name));
        return tensor;
    }

    public void Dispose() => _file.Dispose();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "DePT.Tests", "Fixtures", "reference");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/DePT.Tests/Fixtures/reference was not found above {AppContext.BaseDirectory}.");
    }
}
