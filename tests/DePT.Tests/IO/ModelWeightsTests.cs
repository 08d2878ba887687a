using DePT.Numerics;
using DePT.IO;

namespace DePT.Tests.IO;

/// <summary>Opening Hugging Face model folders: one file, two shards, and the ways an index can disagree with them.</summary>
public sealed class ModelWeightsTests
{
    private TemporaryFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TemporaryFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    private static float[] RandomFloats(int count)
    {
        var random = TestContext.CurrentContext.Random;
        return Enumerable.Range(0, count).Select(_ => random.NextFloat(-2, 2)).ToArray();
    }

    private const string Shard1 = "model-00001-of-00002.safetensors";
    private const string Shard2 = "model-00002-of-00002.safetensors";

    /// <summary>Two shards, an index mapping each tensor to its shard, and the values written.</summary>
    private Dictionary<string, float[]> WriteShardedModel(Action<Dictionary<string, string>>? editMap = null)
    {
        var values = new Dictionary<string, float[]>
        {
            ["shared.weight"] = RandomFloats(6 * 4),
            ["encoder.block.0.layer.0.SelfAttention.q.weight"] = RandomFloats(4 * 4),
            ["encoder.final_layer_norm.weight"] = RandomFloats(4),
            ["lm_head.weight"] = RandomFloats(6 * 4),
        };
        SafetensorsWriter.Write(_folder.File(Shard1),
        [
            SafetensorsTensor.Float32("shared.weight", values["shared.weight"], 6, 4),
            SafetensorsTensor.Float32("encoder.block.0.layer.0.SelfAttention.q.weight", values["encoder.block.0.layer.0.SelfAttention.q.weight"], 4, 4),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        SafetensorsWriter.Write(_folder.File(Shard2),
        [
            SafetensorsTensor.Float32("encoder.final_layer_norm.weight", values["encoder.final_layer_norm.weight"], 4),
            SafetensorsTensor.Float32("lm_head.weight", values["lm_head.weight"], 6, 4),
        ]);
        var map = new Dictionary<string, string>
        {
            ["shared.weight"] = Shard1,
            ["encoder.block.0.layer.0.SelfAttention.q.weight"] = Shard1,
            ["encoder.final_layer_norm.weight"] = Shard2,
            ["lm_head.weight"] = Shard2,
        };
        editMap?.Invoke(map);
        WriteIndex(map, totalSize: values.Values.Sum(v => v.Length * 4));
        return values;
    }

    private void WriteIndex(Dictionary<string, string> map, long totalSize)
    {
        string entries = string.Join(",\n    ", map.Select(e => $"\"{e.Key}\": \"{e.Value}\""));
        File.WriteAllText(_folder.File(SafetensorsIndex.FileName),
            $"{{\n  \"metadata\": {{\"total_size\": {totalSize}}},\n  \"weight_map\": {{\n    {entries}\n  }}\n}}\n");
    }

    [Test]
    public void TwoShardsAreReadThroughOneLookup()
    {
        var values = WriteShardedModel();

        using var weights = ModelWeights.Open(_folder.Path);
        Assert.That(weights.Index, Is.Not.Null);
        Assert.That(weights.Index!.TotalSize, Is.EqualTo(values.Values.Sum(v => v.Length * 4)));
        Assert.That(weights.Index.ShardFiles, Is.EqualTo(new[] { Shard1, Shard2 }));
        Assert.That(weights.Files, Has.Count.EqualTo(2));
        Assert.That(weights.TensorNames, Is.EqualTo(values.Keys.Order(StringComparer.Ordinal).ToArray()));
        foreach (var (name, expected) in values)
        {
            Assert.That(weights.Contains(name), Is.True, name);
            Assert.That(weights.ReadFloat32(name), Is.EqualTo(expected), name);
        }
        Assert.That(Path.GetFileName(weights.GetFile("lm_head.weight").FilePath), Is.EqualTo(Shard2));
        Assert.That(Path.GetFileName(weights.GetFile("shared.weight").FilePath), Is.EqualTo(Shard1));
        Assert.That(weights.GetInfo("lm_head.weight").Shape, Is.EqualTo(new long[] { 6, 4 }));
        Assert.That(weights.ReadBFloat16("encoder.final_layer_norm.weight"),
            Is.EqualTo(values["encoder.final_layer_norm.weight"].Select(BFloat16.FromSingle).ToArray()));
        weights.Validate(values.Keys, allowExtra: false);

        var missing = Assert.Throws<TensorNotFoundException>(() => weights.ReadFloat32("lm_head.weights"));
        Assert.That(missing!.Message, Does.Contain(_folder.Path).And.Contain("'lm_head.weight'"));
    }

    [Test]
    public void ASingleModelFileIsPreferredToAnIndex()
    {
        float[] embedding = RandomFloats(10);
        SafetensorsWriter.Write(_folder.File(ModelWeights.SingleFileName), [SafetensorsTensor.Float32("embeddings.word_embeddings.weight", embedding, 5, 2)]);
        File.WriteAllText(_folder.File(SafetensorsIndex.FileName), "{\"weight_map\": {\"other\": \"nowhere.safetensors\"}}");

        using var weights = ModelWeights.Open(_folder.Path);
        Assert.That(weights.Index, Is.Null);
        Assert.That(weights.TensorNames, Is.EqualTo(new[] { "embeddings.word_embeddings.weight" }));
        Assert.That(weights.ReadFloat32("embeddings.word_embeddings.weight"), Is.EqualTo(embedding));
    }

    [Test]
    public void AMissingShardIsNamed()
    {
        WriteShardedModel();
        File.Delete(_folder.File(Shard2));

        var error = Assert.Throws<FileNotFoundException>(() => ModelWeights.Open(_folder.Path).Dispose());
        Assert.That(error!.Message, Does.Contain(Shard2).And.Contain(SafetensorsIndex.FileName));
        Assert.That(error.FileName, Is.EqualTo(_folder.File(Shard2)));
    }

    [Test]
    public void AMappedTensorAbsentFromItsShardIsNamed()
    {
        WriteShardedModel(map => map["decoder.final_layer_norm.weight"] = Shard2);

        var error = Assert.Throws<SafetensorsFormatException>(() => ModelWeights.Open(_folder.Path).Dispose());
        Assert.That(error!.TensorName, Is.EqualTo("decoder.final_layer_norm.weight"));
        Assert.That(error.FilePath, Is.EqualTo(_folder.File(SafetensorsIndex.FileName)));
        Assert.That(error.Message, Does.Contain(Shard2).And.Contain("does not hold it"));
    }

    [Test]
    public void ATensorMappedToTheWrongShardIsNamed()
    {
        WriteShardedModel(map => map["lm_head.weight"] = Shard1);

        var error = Assert.Throws<SafetensorsFormatException>(() => ModelWeights.Open(_folder.Path).Dispose());
        Assert.That(error!.TensorName, Is.EqualTo("lm_head.weight"));
        Assert.That(error.FilePath, Is.EqualTo(_folder.File(Shard2)));
        Assert.That(error.Message, Does.Contain($"maps it to '{Shard1}'"));
    }

    [Test]
    public void AShardTensorTheIndexDoesNotListIsNamed()
    {
        WriteShardedModel(map => map.Remove("encoder.final_layer_norm.weight"));

        var error = Assert.Throws<SafetensorsFormatException>(() => ModelWeights.Open(_folder.Path).Dispose());
        Assert.That(error!.TensorName, Is.EqualTo("encoder.final_layer_norm.weight"));
        Assert.That(error.Message, Does.Contain("does not list it").And.Contain(Shard2));
    }

    [TestCase("../outside.safetensors")]
    [TestCase("/etc/passwd")]
    [TestCase("sub\\\\shard.safetensors")]
    [TestCase("")]
    public void ShardNamesMustBePlainFileNamesBesideTheIndex(string shard)
    {
        File.WriteAllText(_folder.File(SafetensorsIndex.FileName), $"{{\"weight_map\": {{\"w\": \"{shard}\"}}}}");

        var error = Assert.Throws<SafetensorsFormatException>(() => ModelWeights.Open(_folder.Path).Dispose());
        Assert.That(error!.TensorName, Is.EqualTo("w"));
        Assert.That(error.Message, Does.Contain("not a plain file name"));
    }

    [TestCase("{\"metadata\": {}}", "'weight_map' is missing")]
    [TestCase("{\"weight_map\": {}}", "lists no tensors")]
    [TestCase("{\"weight_map\": {\"w\": 3}}", "expected a shard file name")]
    [TestCase("{\"weight_map\": ", "not valid JSON")]
    public void MalformedIndexesAreRejected(string json, string fragment)
    {
        File.WriteAllText(_folder.File(SafetensorsIndex.FileName), json);

        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsIndex.Load(_folder.File(SafetensorsIndex.FileName)));
        Assert.That(error!.Message, Does.Contain(fragment).And.Contain(SafetensorsIndex.FileName));
    }

    [Test]
    public void AFolderWithoutWeightsSaysWhatItHolds()
    {
        File.WriteAllBytes(_folder.File("pytorch_model.bin"), [1, 2, 3]);
        SafetensorsWriter.Write(_folder.File("adapter.safetensors"), [SafetensorsTensor.Float32("p", RandomFloats(2), 2)]);

        var error = Assert.Throws<FileNotFoundException>(() => ModelWeights.Open(_folder.Path));
        Assert.That(error!.Message, Does.Contain(_folder.Path).And.Contain("model.safetensors")
            .And.Contain("'adapter.safetensors'").And.Contain("pytorch_model.bin"));
        Assert.Throws<DirectoryNotFoundException>(() => ModelWeights.Open(_folder.File("absent")));
    }

    [Test]
    public void ValidateListsAtMostTenMissingAndUnexpectedNamesWithCounts()
    {
        var present = Enumerable.Range(0, 14).Select(i => $"present.{i:D2}").ToList();
        var extra = Enumerable.Range(0, 12).Select(i => $"extra.{i:D2}").ToList();
        SafetensorsWriter.Write(_folder.File(ModelWeights.SingleFileName),
            present.Concat(extra).Select(n => SafetensorsTensor.Float32(n, RandomFloats(1), 1)));
        var missing = Enumerable.Range(0, 15).Select(i => $"missing.{i:D2}").ToList();

        using var weights = ModelWeights.Open(_folder.Path);
        var error = Assert.Throws<WeightsMismatchException>(() => weights.Validate(present.Concat(missing), allowExtra: false));
        Assert.That(error!.Missing, Is.EqualTo(missing));
        Assert.That(error.Unexpected, Is.EqualTo(extra));
        Assert.That(error.Message, Does.Contain(_folder.Path)
            .And.Contain("15 missing: 'missing.00'").And.Contain("'missing.09' and 5 more (15 in all)")
            .And.Contain("12 unexpected: 'extra.00'").And.Contain("'extra.09' and 2 more (12 in all)"));
        Assert.That(error.Message, Does.Not.Contain("missing.10").And.Not.Contain("extra.10").And.Not.Contain("present."));

        var onlyMissing = Assert.Throws<WeightsMismatchException>(() => weights.Validate(present.Concat(missing.Take(2)), allowExtra: true));
        Assert.That(onlyMissing!.Unexpected, Is.Empty);
        Assert.That(onlyMissing.Message, Does.Contain("2 missing: 'missing.00', 'missing.01'.").And.Not.Contain("unexpected"));

        weights.Validate(present, allowExtra: true);
        var onlyExtra = Assert.Throws<WeightsMismatchException>(() => weights.Validate(present, allowExtra: false));
        Assert.That(onlyExtra!.Missing, Is.Empty);
        Assert.That(onlyExtra.Message, Does.Contain("12 unexpected").And.Not.Contain("missing"));
    }
}
