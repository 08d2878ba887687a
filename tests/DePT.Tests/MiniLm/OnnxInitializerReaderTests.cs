using DePT.Models.MiniLm;

namespace DePT.Tests.MiniLm;

public class OnnxInitializerReaderTests
{
    private static float[] RandomFloats(int count)
    {
        var random = TestContext.CurrentContext.Random;
        return Enumerable.Range(0, count).Select(_ => random.NextFloat(-3f, 3f)).ToArray();
    }

    private static long[] RandomInt64s(int count)
    {
        var random = TestContext.CurrentContext.Random;
        return Enumerable.Range(0, count).Select(_ => random.NextLong(long.MinValue, long.MaxValue)).ToArray();
    }

    [Test]
    public void RealModel_HasTheBertGraphInputsOutputsAndEmbeddingTables()
    {
        OnnxModel model = MiniLmAssets.Model;

        Assert.That(model.ProducerName, Is.EqualTo("pytorch"));
        Assert.That(model.InputNames, Is.EqualTo(new[] { "input_ids", "attention_mask", "token_type_ids" }));
        Assert.That(model.OutputNames[0], Is.EqualTo("last_hidden_state"));
        OnnxTensor words = model.Initializers["embeddings.word_embeddings.weight"];
        Assert.That(words.DataType, Is.EqualTo(OnnxDataType.Float));
        Assert.That(words.Dims, Is.EqualTo(new long[] { 30522, 384 }));
        float[] values = words.ToFloatArray();
        Assert.That(values.All(float.IsFinite), Is.True);
        Assert.That(values.Count(v => v != 0), Is.GreaterThan(values.Length / 2), "trained embeddings are not mostly zero");
        OnnxTensor positionIds = model.Initializers["embeddings.position_ids"];
        Assert.That(positionIds.ToInt64Array(), Is.EqualTo(Enumerable.Range(0, 512).Select(i => (long)i).ToArray()));
    }

    [Test]
    public void RealModel_LayerNormEpsilonAndGeluMatchTheConfig()
    {
        OnnxModel model = MiniLmAssets.Model;
        MiniLmConfig config = MiniLmConfig.AllMiniLmL6V2;
        var producers = model.Nodes.SelectMany(n => n.Outputs.Select(o => (Output: o, Node: n))).ToDictionary(p => p.Output, p => p.Node);

        // LayerNorm is exported decomposed: ReduceMean of the squares, then Add(epsilon), then Sqrt.
        var epsilons = new List<float>();
        foreach (OnnxNode add in model.Nodes.Where(n => n.OpType == "Add"))
        {
            if (producers.TryGetValue(add.Inputs[0], out var first) && first.OpType == "ReduceMean"
                && model.TryGetConstant(add.Inputs[1], out var epsilon))
                epsilons.AddRange(epsilon.ToFloatArray());
        }

        Assert.That(epsilons, Has.Count.EqualTo(1 + 2 * config.NumLayers));
        Assert.That(epsilons, Is.All.EqualTo(config.LayerNormEpsilon));
        Assert.That(model.Nodes.Count(n => n.OpType == "Erf"), Is.EqualTo(config.NumLayers), "exact (erf) GELU once per layer");
    }

    [Test]
    public void Read_DecodesEveryStorageFormOfFloatAndInt64()
    {
        float[] raw = RandomFloats(12), packed = RandomFloats(6), unpacked = RandomFloats(5);
        long[] packedLongs = RandomInt64s(4), rawLongs = RandomInt64s(3);
        byte[] bytes = new OnnxTestModel()
            .RawFloat("raw", [3, 4], raw)
            .PackedFloat("packed", [2, 3], packed)
            .UnpackedFloat("unpacked", [5], unpacked)
            .PackedInt64("packed_longs", [4], packedLongs)
            .RawInt64("raw_longs", [1, 3], rawLongs)
            .ToArray();

        OnnxModel model = OnnxInitializerReader.Read(bytes, "synthetic");

        Assert.That(model.Initializers["raw"].ToFloatArray(), Is.EqualTo(raw));
        Assert.That(model.Initializers["raw"].Dims, Is.EqualTo(new long[] { 3, 4 }));
        Assert.That(model.Initializers["packed"].ToFloatArray(), Is.EqualTo(packed));
        Assert.That(model.Initializers["unpacked"].ToFloatArray(), Is.EqualTo(unpacked));
        Assert.That(model.Initializers["packed_longs"].ToInt64Array(), Is.EqualTo(packedLongs));
        Assert.That(model.Initializers["raw_longs"].ToInt64Array(), Is.EqualTo(rawLongs));
        Assert.That(model.Initializers["raw_longs"].ElementCount, Is.EqualTo(3));
        Assert.That(model.ProducerName, Is.EqualTo("dept-tests"));
    }

    [Test]
    public void Read_KeepsNodesInOrderWithTheirInputsOutputsAndAttributes()
    {
        byte[] bytes = new OnnxTestModel()
            .Input("x")
            .RawFloat("w", [2, 2], RandomFloats(4))
            .Node("MatMul", ["x", "w"], ["y"], "mm")
            .Node("Gemm", ["y", "w", ""], ["z"], "gemm", transB: 1)
            .Output("z")
            .ToArray();

        OnnxModel model = OnnxInitializerReader.Read(bytes, "synthetic");

        Assert.That(model.Nodes.Select(n => n.OpType), Is.EqualTo(new[] { "MatMul", "Gemm" }));
        Assert.That(model.Nodes[0].Inputs, Is.EqualTo(new[] { "x", "w" }));
        Assert.That(model.Nodes[1].Inputs, Is.EqualTo(new[] { "y", "w", "" }));
        Assert.That(model.Nodes[1].Outputs, Is.EqualTo(new[] { "z" }));
        Assert.That(model.Nodes[1].GetInt("transB", 0), Is.EqualTo(1));
        Assert.That(model.Nodes[0].GetInt("transB", 0), Is.EqualTo(0));
        Assert.That(model.InputNames, Is.EqualTo(new[] { "x" }));
        Assert.That(model.OutputNames, Is.EqualTo(new[] { "z" }));
    }

    [Test]
    public void Read_ExternalData_ThrowsNamingTheTensor()
    {
        byte[] bytes = new OnnxTestModel().RawFloat("inline", [2], RandomFloats(2)).ExternalFloat("big.weight", [1000, 1000]).ToArray();

        var e = Assert.Throws<InvalidDataException>(() => OnnxInitializerReader.Read(bytes, "external.onnx"));

        Assert.That(e!.Message, Does.Contain("big.weight").And.Contain("external").And.Contain("external.onnx"));
    }

    [Test]
    public void ToFloatArray_RawDataOfTheWrongSize_ThrowsWithBothSizes()
    {
        byte[] bytes = new OnnxTestModel().RawFloat("short", [3, 3], RandomFloats(8)).ToArray();
        OnnxTensor tensor = OnnxInitializerReader.Read(bytes, "synthetic").Initializers["short"];

        var e = Assert.Throws<InvalidDataException>(() => tensor.ToFloatArray());

        Assert.That(e!.Message, Does.Contain("'short'").And.Contain("32 bytes").And.Contain("36"));
    }

    [Test]
    public void ToInt64Array_OnAFloatTensor_ThrowsNamingBothTypes()
    {
        byte[] bytes = new OnnxTestModel().RawFloat("w", [2], RandomFloats(2)).ToArray();
        OnnxTensor tensor = OnnxInitializerReader.Read(bytes, "synthetic").Initializers["w"];

        var e = Assert.Throws<InvalidDataException>(() => tensor.ToInt64Array());

        Assert.That(e!.Message, Does.Contain("'w'").And.Contain("Float").And.Contain("Int64"));
    }

    [Test]
    public void Read_EveryProperPrefixOfAModel_ThrowsInvalidData()
    {
        byte[] bytes = new OnnxTestModel()
            .Input("x")
            .RawFloat("w", [2, 3], RandomFloats(6))
            .PackedInt64("shape", [2], RandomInt64s(2))
            .Node("MatMul", ["x", "w"], ["y"], "mm")
            .Output("y")
            .ToArray();
        Assert.That(OnnxInitializerReader.Read(bytes, "whole").Initializers, Has.Count.EqualTo(2));

        for (int length = 0; length < bytes.Length; length++)
        {
            byte[] prefix = bytes[..length];
            Assert.Throws<InvalidDataException>(() => OnnxInitializerReader.Read(prefix, "prefix"), $"prefix of {length} of {bytes.Length} bytes");
        }
    }

    [Test]
    public void Read_TruncatedRealModel_ThrowsNamingTheSourceAndOffset()
    {
        ReadOnlyMemory<byte> whole = MiniLmAssets.Package.OnnxModel;
        int cut = TestContext.CurrentContext.Random.Next(1000, whole.Length - 1);

        var e = Assert.Throws<InvalidDataException>(() => OnnxInitializerReader.Read(whole[..cut], "cut.onnx"));

        Assert.That(e!.Message, Does.Contain("cut.onnx").And.Contain("Truncated").And.Contain("at byte"));
    }

    [Test]
    public void Read_RandomBytes_ThrowsInvalidData()
    {
        var noise = new byte[4096];
        TestContext.CurrentContext.Random.NextBytes(noise);

        Assert.Throws<InvalidDataException>(() => OnnxInitializerReader.Read(noise, "noise"));
        Assert.Throws<InvalidDataException>(() => OnnxInitializerReader.Read(ReadOnlyMemory<byte>.Empty, "empty"));
    }

    [Test]
    public void Read_GraphFieldWithTheWrongWireType_ThrowsNamingTheField()
    {
        byte[] bytes = new ProtobufTestWriter().Varint(1, 8).Varint(7, 42).ToArray();

        var e = Assert.Throws<InvalidDataException>(() => OnnxInitializerReader.Read(bytes, "bad.onnx"));

        Assert.That(e!.Message, Does.Contain("bad.onnx").And.Contain("ModelProto field 7"));
    }
}
