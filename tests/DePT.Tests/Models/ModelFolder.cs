using DePT.IO;
using DePT.Tests.IO;

namespace DePT.Tests.Models;

/// <summary>A temporary copy of a fixture model folder with its weights or config edited, deleted on dispose.</summary>
internal sealed class ModelFolder : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    private ModelFolder()
    {
    }

    public string Path => _folder.Path;

    public string WeightsPath => _folder.File(ModelWeights.SingleFileName);

    /// <summary>
    /// Copies <paramref name="model"/>'s folder, keeping the tensors <paramref name="keep"/> accepts (renamed by
    /// <paramref name="rename"/>), adding <paramref name="extra"/>, and passing config.json through <paramref name="editConfig"/>.
    /// </summary>
    public static ModelFolder Copy(string model, Func<string, bool>? keep = null, IEnumerable<SafetensorsTensor>? extra = null,
        Func<string, string>? editConfig = null, Func<string, string>? rename = null)
    {
        string source = System.IO.Path.Combine(ReferenceFixture.Root, model);
        var folder = new ModelFolder();
        string config = File.ReadAllText(System.IO.Path.Combine(source, "config.json"));
        File.WriteAllText(folder._folder.File("config.json"), editConfig is null ? config : editConfig(config));
        using var weights = ModelWeights.Open(source);
        var tensors = new List<SafetensorsTensor>();
        foreach (string name in weights.TensorNames)
        {
            if (keep is not null && !keep(name)) continue;
            var info = weights.GetInfo(name);
            tensors.Add(SafetensorsTensor.Float32(rename?.Invoke(name) ?? name, weights.ReadFloat32(name), [.. info.Shape]));
        }
        if (extra is not null) tensors.AddRange(extra);
        SafetensorsWriter.Write(folder.WeightsPath, tensors);
        return folder;
    }

    public void Dispose() => _folder.Dispose();
}
