using DePT.Models.MiniLm;

namespace DePT.Tests.MiniLm;

public class MiniLmWeightsTests
{
    private static readonly MiniLmConfig Tiny = new(HiddenSize: 4, NumLayers: 2, NumHeads: 2, IntermediateSize: 6, VocabSize: 10, MaxPositions: 5, TypeVocabSize: 2);

    /// <summary>Writes a BertModel with random weights the way the PyTorch exporter does: embeddings, biases
    /// and LayerNorms under their names, linear weights numbered and stored (in, out) behind a MatMul whose
    /// output an Add combines with the bias (operand order alternating), the pooler as Gemm with transB = 1.</summary>
    private static (byte[] Onnx, Dictionary<string, (int[] Shape, float[] Data)> Expected) ExportLike(
        MiniLmConfig config, Func<string, bool>? omit = null, Func<string, string>? renameBias = null)
    {
        var random = TestContext.CurrentContext.Random;
        var expected = new Dictionary<string, (int[] Shape, float[] Data)>();
        var model = new OnnxTestModel().Input("input_ids");
        var shapes = config.ExpectedEncoderShapes().Concat(config.ExpectedPoolerShapes());
        int number = 900, addOrder = 0;
        foreach (var (name, shape) in shapes)
        {
            var data = Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => random.NextFloat(-1f, 1f)).ToArray();
            expected[name] = (shape, data);
        }
        foreach (var (name, (shape, data)) in expected)
        {
            if (omit?.Invoke(name) == true)
                continue;
            bool isLinear = shape.Length == 2 && name.EndsWith(".weight") && !name.StartsWith("embeddings.");
            if (!isLinear)
            {
                model.RawFloat(name, shape, data);
                continue;
            }
            string bias = renameBias?.Invoke(name[..^"weight".Length] + "bias") ?? name[..^"weight".Length] + "bias";
            if (name.StartsWith("pooler."))
            {
                model.RawFloat(name, shape, data).Node("Gemm", ["cls", name, bias], ["pooled"], "Gemm_pooler", transB: 1);
                continue;
            }
            string weight = (number++).ToString();
            var inOut = new float[data.Length];
            for (int o = 0; o < shape[0]; o++)
                for (int i = 0; i < shape[1]; i++)
                    inOut[i * shape[0] + o] = data[o * shape[1] + i];
            string product = $"mm_{weight}";
            model.RawFloat(weight, [shape[1], shape[0]], inOut)
                .Node("MatMul", ["x", weight], [product], $"MatMul_{weight}")
                .Node("Add", addOrder++ % 2 == 0 ? [bias, product] : [product, bias], [$"sum_{weight}"], $"Add_{weight}");
        }
        return (model.Output("last_hidden_state").ToArray(), expected);
    }

    [Test]
    public void FromOnnx_ExporterStyleGraph_RecoversEveryWeightInHuggingFaceLayout()
    {
        var (onnx, expected) = ExportLike(Tiny);

        MiniLmWeights weights = MiniLmWeights.FromOnnx(OnnxInitializerReader.Read(onnx, "tiny.onnx"), Tiny);

        Assert.That(weights.Keys, Is.EquivalentTo(expected.Keys));
        Assert.That(weights.HasPooler, Is.True);
        foreach (var (name, (shape, data)) in expected)
        {
            Assert.That(weights[name].Shape, Is.EqualTo(shape), name);
            Assert.That(weights[name].Data, Is.EqualTo(data), name);
        }
    }

    [Test]
    public void FromOnnx_WithoutPooler_LeavesItOut()
    {
        var (onnx, _) = ExportLike(Tiny, omit: name => name.StartsWith("pooler."));

        MiniLmWeights weights = MiniLmWeights.FromOnnx(OnnxInitializerReader.Read(onnx, "tiny.onnx"), Tiny);

        Assert.That(weights.HasPooler, Is.False);
        Assert.That(weights, Has.Count.EqualTo(Tiny.ExpectedEncoderShapes().Count));
    }

    [Test]
    public void FromOnnx_MissingBias_ListsWhatIsMissingAndTheUnidentifiedMatMul()
    {
        const string bias = "encoder.layer.1.attention.self.key.bias";
        var (onnx, _) = ExportLike(Tiny, omit: name => name == bias);

        var e = Assert.Throws<InvalidDataException>(() => MiniLmWeights.FromOnnx(OnnxInitializerReader.Read(onnx, "tiny.onnx"), Tiny));

        Assert.That(e!.Message, Does.Contain("'encoder.layer.1.attention.self.key.weight' [4, 4] is missing")
            .And.Contain($"'{bias}' [4] is missing")
            .And.Contain("no named bias").And.Contain("tiny.onnx"));
    }

    [Test]
    public void FromOnnx_TwoLinearLayersClaimingOneBias_ReportsTheDuplicate()
    {
        var (onnx, _) = ExportLike(Tiny, renameBias: b => b == "encoder.layer.0.attention.self.value.bias" ? "encoder.layer.0.attention.self.key.bias" : b);

        var e = Assert.Throws<InvalidDataException>(() => MiniLmWeights.FromOnnx(OnnxInitializerReader.Read(onnx, "tiny.onnx"), Tiny));

        Assert.That(e!.Message, Does.Contain("'encoder.layer.0.attention.self.key.weight' found twice")
            .And.Contain("'encoder.layer.0.attention.self.value.weight' [4, 4] is missing"));
    }

    [Test]
    public void FromOnnx_ConfigOfAnotherShape_ReportsEachShapeMismatch()
    {
        var (onnx, _) = ExportLike(Tiny);

        var e = Assert.Throws<InvalidDataException>(() =>
            MiniLmWeights.FromOnnx(OnnxInitializerReader.Read(onnx, "tiny.onnx"), Tiny with { VocabSize = 11, IntermediateSize = 8 }));

        Assert.That(e!.Message, Does.Contain("'embeddings.word_embeddings.weight' has shape [10, 4], expected [11, 4]")
            .And.Contain("'encoder.layer.1.intermediate.dense.weight' has shape [6, 4], expected [8, 4]"));
    }

    [Test]
    public void RealModel_HasEveryBertWeightOnceWithItsShape()
    {
        MiniLmWeights weights = MiniLmAssets.Weights;
        MiniLmConfig config = MiniLmConfig.AllMiniLmL6V2;
        var expected = config.ExpectedEncoderShapes().Concat(config.ExpectedPoolerShapes()).ToDictionary();

        Assert.That(weights.HasPooler, Is.True);
        Assert.That(weights.Keys, Is.EquivalentTo(expected.Keys));
        Assert.That(weights, Has.Count.EqualTo(5 + 16 * config.NumLayers + 2));
        foreach (var (name, shape) in expected)
            Assert.That(weights[name].Shape, Is.EqualTo(shape), name);
        Assert.That(weights["encoder.layer.3.intermediate.dense.weight"].Shape, Is.EqualTo(new[] { 1536, 384 }));
        Assert.That(weights["encoder.layer.3.output.dense.weight"].Shape, Is.EqualTo(new[] { 384, 1536 }));
    }

    [Test]
    public void Indexer_UnknownName_ThrowsNamingIt()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => _ = MiniLmAssets.Weights["encoder.layer.6.output.dense.weight"]);

        Assert.That(e!.Message, Does.Contain("encoder.layer.6.output.dense.weight"));
    }
}
