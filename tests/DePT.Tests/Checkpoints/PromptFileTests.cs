using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DePT.Backends.Cpu;
using DePT.Checkpoints;
using DePT.IO;
using DePT.Prompts;
using DePT.Tests.Ops;

namespace DePT.Tests.Checkpoints;

/// <summary>
/// Prompt files: round trips of fresh random values, PEFT names and shapes, the config's fields, a wrong model,
/// a newer version, a failed save that leaves the old pair, and a weights file its config does not describe.
/// </summary>
public class PromptFileTests
{
    private readonly CpuBackend _cpu = new();
    private Random _rng = new(0);
    private string _folder = "";

    [SetUp]
    public void SetUp()
    {
        _rng = OpTest.NewRandom();
        _folder = Directory.CreateTempSubdirectory("dept-prompt-").FullName;
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_folder, recursive: true);

    private ModelIdentity Model(int dim) =>
        ModelIdentity.FromEmbeddingBytes("t5", dim, 32, 2, OpTest.Values(_rng, 32 * dim).SelectMany(BitConverter.GetBytes).ToArray());

    private DecomposedPrompt RandomDept(int m, int dim, int maxLength, int rank, float? alpha = 8f)
    {
        var prompt = new DecomposedPrompt(_cpu, m, dim, maxLength, rank, 3, alpha);
        prompt.Prompt.CopyFrom(OpTest.Values(_rng, prompt.Prompt.Length));
        prompt.LowRankA.CopyFrom(OpTest.Values(_rng, prompt.LowRankA.Length));
        prompt.LowRankB.CopyFrom(OpTest.Values(_rng, prompt.LowRankB.Length));
        return prompt;
    }

    [TestCase(5, 8, 12, 3, 8f)]
    [TestCase(1, 4, 6, 1, null)]
    public void DeptRoundTrips(int m, int dim, int maxLength, int rank, float? alpha)
    {
        var model = Model(dim);
        string path = Path.Combine(_folder, "sst2.safetensors");
        using var saved = RandomDept(m, dim, maxLength, rank, alpha);
        PromptFile.Save(path, saved, model);

        using var loaded = (DecomposedPrompt)PromptFile.Load(path, _cpu, model);
        Assert.That(loaded.Prompt.ToFloatArray(), Is.EqualTo(saved.Prompt.ToFloatArray()));
        Assert.That(loaded.LowRankA.ToFloatArray(), Is.EqualTo(saved.LowRankA.ToFloatArray()));
        Assert.That(loaded.LowRankB.ToFloatArray(), Is.EqualTo(saved.LowRankB.ToFloatArray()));
        Assert.That((loaded.PromptLength, loaded.Dim, loaded.MaxLength, loaded.Rank, loaded.Alpha, loaded.Scale),
            Is.EqualTo((m, dim, maxLength, rank, alpha, saved.Scale)));

        using (var file = SafetensorsFile.Open(path))
        {
            Assert.That(file.Tensors.Select(t => t.ToString()), Is.EquivalentTo(new[]
            {
                $"prompt_embeddings F32 [{m}, {dim}]",
                $"prompt_encoder.lora_embedding_A F32 [{maxLength}, {rank}]",
                $"prompt_encoder.lora_embedding_B F32 [{rank}, {dim}]",
            }));
        }
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_folder, "sst2.json")))!;
        Assert.That((int)json["format_version"]!, Is.EqualTo(PromptFile.FormatVersion));
        Assert.That((string)json["method"]!, Is.EqualTo("dept"));
        Assert.That(((int)json["prompt_length"]!, (int)json["rank"]!, (int)json["max_length"]!, (int)json["d_model"]!), Is.EqualTo((m, rank, maxLength, dim)));
        Assert.That((float?)json["alpha"], Is.EqualTo(alpha));
        Assert.That((string)json["weights_sha256"]!, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)))));
        Assert.That((string)json["base_model"]!["word_embeddings_sha256"]!, Is.EqualTo(model.EmbeddingSha256));
        Assert.That(Directory.GetFiles(_folder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "sst2.safetensors", "sst2.json" }), "no temporary file is left");
    }

    [Test]
    public void PromptTuningRoundTrips()
    {
        var model = Model(6);
        string path = Path.Combine(_folder, "pt.safetensors");
        using var saved = new PromptTuning(_cpu, 9, 6);
        saved.Prompt.CopyFrom(OpTest.Values(_rng, saved.Prompt.Length));
        PromptFile.Save(path, saved, model);

        var contents = PromptFile.Read(path, model);
        Assert.That(contents.Config.Method, Is.EqualTo(PromptMethod.PromptTuning));
        Assert.That(contents.LowRankA, Is.Null);
        using var loaded = PromptFile.Load(path, _cpu, model);
        Assert.That(loaded, Is.TypeOf<PromptTuning>());
        Assert.That(loaded.Prompt.ToFloatArray(), Is.EqualTo(saved.Prompt.ToFloatArray()));
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "prompt_embeddings" }));
    }

    [Test]
    public void AnotherModelIsRefusedNamingBoth()
    {
        var model = Model(4);
        var other = Model(4);
        string path = Path.Combine(_folder, "p.safetensors");
        using var prompt = RandomDept(2, 4, 5, 2);
        PromptFile.Save(path, prompt, model);

        var ex = Assert.Throws<PromptModelMismatchException>(() => PromptFile.Read(path, other))!;
        Assert.That(ex.Message, Does.Contain(model.EmbeddingSha256).And.Contain(other.EmbeddingSha256).And.Contain(path));
        Assert.That(ex.PromptModel, Is.EqualTo(model));
        Assert.That(() => PromptFile.Read(path, model with { LayerCount = 3 }), Throws.TypeOf<PromptModelMismatchException>().With.Message.Contains("layers=3"));
    }

    [Test]
    public void NewerFormatVersionIsRefused()
    {
        var model = Model(4);
        string path = Path.Combine(_folder, "p.safetensors");
        using var prompt = RandomDept(2, 4, 5, 2);
        PromptFile.Save(path, prompt, model);
        string configPath = PromptFile.ConfigPath(path);
        var json = JsonNode.Parse(File.ReadAllText(configPath))!;
        json["format_version"] = PromptFile.FormatVersion + 1;
        File.WriteAllText(configPath, json.ToJsonString());

        Assert.That(() => PromptFile.Read(path, model),
            Throws.TypeOf<CheckpointFormatException>().With.Message.Contains($"format_version is {PromptFile.FormatVersion + 1}").And.Message.Contains(configPath));
    }

    [Test]
    public void AFailedSaveLeavesTheOldFiles()
    {
        var model = Model(4);
        string path = Path.Combine(_folder, "p.safetensors");
        using var first = RandomDept(3, 4, 5, 2);
        PromptFile.Save(path, first, model);
        byte[] oldWeights = File.ReadAllBytes(path), oldConfig = File.ReadAllBytes(PromptFile.ConfigPath(path));

        // A folder where the config's temporary file goes makes the save throw after the new weights are staged.
        Directory.CreateDirectory(PromptFile.ConfigPath(path) + SafetensorsWriter.TemporarySuffix);
        using var second = RandomDept(3, 4, 5, 2);
        Assert.That(() => PromptFile.Save(path, second, model), Throws.InstanceOf<IOException>().Or.InstanceOf<UnauthorizedAccessException>());

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(oldWeights));
        Assert.That(File.ReadAllBytes(PromptFile.ConfigPath(path)), Is.EqualTo(oldConfig));
        Assert.That(File.Exists(path + PromptFile.StagedSuffix), Is.False, "the staged weights are removed");
        using var loaded = PromptFile.Load(path, _cpu, model);
        Assert.That(loaded.Prompt.ToFloatArray(), Is.EqualTo(first.Prompt.ToFloatArray()));
    }

    [Test]
    public void WeightsFromAnotherSaveAreRefused()
    {
        // What a crash between the two renames leaves: new weights beside the old config.
        var model = Model(4);
        string path = Path.Combine(_folder, "p.safetensors"), otherPath = Path.Combine(_folder, "q.safetensors");
        using var first = RandomDept(3, 4, 5, 2);
        using var second = RandomDept(3, 4, 5, 2);
        PromptFile.Save(path, first, model);
        PromptFile.Save(otherPath, second, model);
        File.Copy(otherPath, path, overwrite: true);

        Assert.That(() => PromptFile.Read(path, model), Throws.TypeOf<CheckpointFormatException>().With.Message.Contains("is not the weights file its config"));
    }

    [Test]
    public void IdentityFromSafetensorsHashesTheEmbeddingBytes()
    {
        string path = Path.Combine(_folder, "model.safetensors");
        float[] embeddings = OpTest.Values(_rng, 10 * 3);
        SafetensorsWriter.Write(path, [SafetensorsTensor.Float32("shared.weight", embeddings, 10, 3), SafetensorsTensor.Float32("other", OpTest.Values(_rng, 4), 4)]);
        using var file = SafetensorsFile.Open(path);
        var identity = ModelIdentity.FromSafetensors("t5", 2, file, "shared.weight");
        byte[] bytes = embeddings.SelectMany(BitConverter.GetBytes).ToArray();
        Assert.That(identity, Is.EqualTo(new ModelIdentity("t5", 3, 10, 2, Convert.ToHexStringLower(SHA256.HashData(bytes)))));
    }

    [Test]
    public void BadPathsAndWidthsAreRefused()
    {
        using var prompt = RandomDept(2, 4, 5, 2);
        Assert.That(() => PromptFile.Save(Path.Combine(_folder, "p.json"), prompt, Model(4)), Throws.ArgumentException.With.Message.Contains(".safetensors"));
        Assert.That(() => PromptFile.Save(Path.Combine(_folder, "p.safetensors"), prompt, Model(8)), Throws.ArgumentException.With.Message.Contains("d=4"));
        Assert.That(() => PromptFile.Read(Path.Combine(_folder, "absent.safetensors"), Model(4)), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("absent.json"));
    }
}
