using DePT.Backends.Cpu;
using DePT.Diagnostics;
using DePT.IO;
using DePT.Models;
using DePT.Models.Bert;
using DePT.Models.T5;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>Loading Hugging Face folders: tied aliases and prefixes that must load, and bad weights that must fail clearly and leave nothing allocated.</summary>
public class ModelLoadingTests
{
    private readonly CpuBackend _cpu = new();

    [Test]
    public void T5_MissingTensor_IsNamedWithTheFolder()
    {
        const string name = "encoder.block.1.layer.1.DenseReluDense.wo.weight";
        using var folder = ModelFolder.Copy("t5_v1_0", keep: n => n != name);

        var e = Assert.Throws<WeightsMismatchException>(() => T5Model.Load(_cpu, folder.Path, DType.F32));

        Assert.That(e!.Missing, Is.EqualTo(new[] { name }));
        Assert.That(e.Message, Does.Contain(name).And.Contain(folder.Path));
    }

    [Test]
    public void T5_UntiedHeadMissing_IsNamed()
    {
        using var folder = ModelFolder.Copy("t5_v1_1", keep: n => n != "lm_head.weight");

        var e = Assert.Throws<WeightsMismatchException>(() => T5Model.Load(_cpu, folder.Path, DType.F32));

        Assert.That(e!.Missing, Is.EqualTo(new[] { "lm_head.weight" }));
    }

    [Test]
    public void T5_ExtraTensor_IsNamed()
    {
        const string extra = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias2.weight";
        using var folder = ModelFolder.Copy("t5_v1_0", extra: [SafetensorsTensor.Float32(extra, Random(32), 8, 4)]);

        var e = Assert.Throws<WeightsMismatchException>(() => T5Model.Load(_cpu, folder.Path, DType.F32));

        Assert.That(e!.Unexpected, Is.EqualTo(new[] { extra }));
        Assert.That(e.Missing, Is.Empty);
    }

    [Test]
    public void T5_RelativeBiasInALaterBlock_IsUnexpected()
    {
        const string extra = "decoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight";
        using var folder = ModelFolder.Copy("t5_v1_1", extra: [SafetensorsTensor.Float32(extra, Random(32), 8, 4)]);

        var e = Assert.Throws<WeightsMismatchException>(() => T5Model.Load(_cpu, folder.Path, DType.F32));

        Assert.That(e!.Unexpected, Is.EqualTo(new[] { extra }));
    }

    [Test]
    public void T5_WrongShape_NamesTensorFileShapesAndConfig()
    {
        const string name = "decoder.block.1.layer.1.EncDecAttention.q.weight";
        using var folder = ModelFolder.Copy("t5_v1_0", keep: n => n != name, extra: [SafetensorsTensor.Float32(name, Random(32 * 31), 32, 31)]);

        var e = Assert.Throws<InvalidDataException>(() => T5Model.Load(_cpu, folder.Path, DType.F32));

        Assert.That(e!.Message, Does.Contain(name).And.Contain("[32, 31]").And.Contain("expected [32, 32]")
            .And.Contain(folder.WeightsPath).And.Contain("d_model=32"));
    }

    [Test]
    public void T5_BertFolder_IsRejectedByModelType()
    {
        var e = Assert.Throws<ModelConfigException>(() => T5Model.Load(_cpu, Path.Combine(ReferenceFixture.Root, "bert"), DType.F32));

        Assert.That(e!.Message, Does.Contain("model_type").And.Contain("BertConfig").And.Contain("T5Config"));
    }

    [Test]
    public void UnknownModelType_IsRejectedWithTheSupportedList()
    {
        using var folder = ModelFolder.Copy("t5_v1_0", editConfig: json => json.Replace("\"model_type\": \"t5\"", "\"model_type\": \"gpt2\""));

        var e = Assert.Throws<ModelConfigException>(() => T5Model.Load(_cpu, folder.Path, DType.F32));

        Assert.That(e!.Message, Does.Contain("'gpt2'").And.Contain("bert, llama, mistral, mt5, qwen2, t5"));
    }

    [Test]
    public void T5_IntegerRuntimeDType_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => T5Model.Load(_cpu, Path.Combine(ReferenceFixture.Root, "t5_v1_0"), DType.I32));
    }

    [Test]
    public void T5_LoadFailingPartWay_DisposesEveryTensorItMade()
    {
        // An I64 tensor of the right shape passes the name and shape checks and fails only when read, after most
        // weights were uploaded.
        const string name = "decoder.final_layer_norm.weight";
        using var folder = ModelFolder.Copy("t5_v1_0", keep: n => n != name, extra: [SafetensorsTensor.Int64(name, Enumerable.Range(1, 32).Select(i => (long)i).ToArray(), 32)]);
        var (backend, tracker) = TrackingBackend.Create();

        Assert.Throws<NotSupportedException>(() => T5Model.Load(backend, folder.Path, DType.F32));

        Assert.That(tracker.Allocated, Has.Count.GreaterThan(20));
        Assert.That(tracker.Allocated.Where(t => !t.IsDisposed), Is.Empty);
    }

    [Test]
    public void T5_StoredTiedAliases_LoadAndGiveTheSameLogits()
    {
        // Older checkpoints store encoder/decoder.embed_tokens and lm_head as copies of shared.
        using var folder = ModelFolder.Copy("t5_v1_0", extra: new[] { "encoder.embed_tokens.weight", "decoder.embed_tokens.weight", "lm_head.weight" }
            .Select(n => SafetensorsTensor.Float32(n, Shared("t5_v1_0"), 96, 32)));
        using var fixture = ReferenceFixture.Open("t5_v1_0");
        using var original = T5Model.Load(_cpu, fixture.Folder, DType.F32);
        using var aliased = T5Model.Load(_cpu, folder.Path, DType.F32);

        Assert.That(aliased.Weights.HasSeparateLmHead, Is.False, "a stored lm_head equal to shared stays tied");
        Assert.That(ErrorMetrics.Relative(PlainLogits(aliased, fixture), PlainLogits(original, fixture)), Is.EqualTo(0));
    }

    [Test]
    public void T5_TiedConfigWithADistinctStoredHead_UsesThatHead()
    {
        // transformers 5.x keeps a stored lm_head that differs from shared untied, whatever the config says.
        using var folder = ModelFolder.Copy("t5_v1_0", extra: [SafetensorsTensor.Float32("lm_head.weight", Random(96 * 32), 96, 32)]);
        using var model = T5Model.Load(_cpu, folder.Path, DType.F32);

        Assert.That(model.Weights.HasSeparateLmHead, Is.True);
        Assert.That(model.Config.ScaleDecoderOutputs, Is.True);
    }

    [Test]
    public void T5Config_ScaleDecoderOutputs_FollowsTheFieldElseTheTie()
    {
        const string baseJson = """{"model_type": "t5", "vocab_size": 10, "d_model": 8, "d_kv": 4, "d_ff": 16, "num_layers": 1, "num_heads": 2""";
        var tiedDefault = (T5Config)ModelConfig.Parse(baseJson + "}", "a");
        var untied = (T5Config)ModelConfig.Parse(baseJson + """, "tie_word_embeddings": false}""", "b");
        var tiedUnscaled = (T5Config)ModelConfig.Parse(baseJson + """, "tie_word_embeddings": true, "scale_decoder_outputs": false}""", "c");

        Assert.That((tiedDefault.ScaleDecoderOutputs, untied.ScaleDecoderOutputs, tiedUnscaled.ScaleDecoderOutputs), Is.EqualTo((true, false, false)));
    }

    [Test]
    public void Bert_MissingPoolerBias_IsNamed()
    {
        using var folder = ModelFolder.Copy("bert", keep: n => n != "pooler.dense.bias");

        var e = Assert.Throws<WeightsMismatchException>(() => BertModel.Load(_cpu, folder.Path, DType.F32));

        Assert.That(e!.Missing, Is.EqualTo(new[] { "pooler.dense.bias" }));
    }

    [Test]
    public void Bert_WithoutPooler_LoadsButRefusesThePooledOutput()
    {
        using var folder = ModelFolder.Copy("bert", keep: n => !n.StartsWith("pooler.", StringComparison.Ordinal));
        using var model = BertModel.Load(_cpu, folder.Path, DType.F32);
        using var embeds = RandomTensor(2, 5, 32);
        using var mask = Ones(2, 5);

        Assert.That(model.Weights.HasPooler, Is.False);
        var e = Assert.Throws<InvalidOperationException>(() => model.Forward(embeds, mask, withPooler: true));
        Assert.That(e!.Message, Does.Contain("pooler.dense.weight"));
        using var output = model.Forward(embeds, mask);
        Assert.That(output.LastHiddenState.ToFloatArray(), Has.All.Matches<float>(float.IsFinite));
    }

    [Test]
    public void Bert_TaskCheckpointWithPrefixAndHead_LoadsTheEncoder()
    {
        using var folder = ModelFolder.Copy("bert", rename: n => "bert." + n,
            extra: [SafetensorsTensor.Float32("classifier.weight", Random(64), 2, 32), SafetensorsTensor.Float32("classifier.bias", Random(2), 2)]);
        using var plain = BertModel.Load(_cpu, Path.Combine(ReferenceFixture.Root, "bert"), DType.F32);
        using var prefixed = BertModel.Load(_cpu, folder.Path, DType.F32);
        using var embeds = RandomTensor(2, 6, 32);
        using var mask = Ones(2, 6);

        using var expected = plain.Forward(embeds, mask, withPooler: true);
        using var actual = prefixed.Forward(embeds, mask, withPooler: true);

        Assert.That(actual.PooledOutput!.ToFloatArray(), Is.EqualTo(expected.PooledOutput!.ToFloatArray()));
    }

    [Test]
    public void Bert_InputLongerThanThePositionTable_NamesTheLimit()
    {
        using var model = BertModel.Load(_cpu, Path.Combine(ReferenceFixture.Root, "bert"), DType.F32);
        using var embeds = RandomTensor(1, 65, 32);
        using var mask = Ones(1, 65);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(embeds, mask));

        Assert.That(e!.Message, Does.Contain("T=65").And.Contain("max_position_embeddings=64"));
    }

    [Test]
    public void Bert_WrongShapeFromConfig_NamesTheTensor()
    {
        using var folder = ModelFolder.Copy("bert", editConfig: json => json.Replace("\"intermediate_size\": 64", "\"intermediate_size\": 48"));

        var e = Assert.Throws<InvalidDataException>(() => BertModel.Load(_cpu, folder.Path, DType.F32));

        Assert.That(e!.Message, Does.Contain("encoder.layer.0.intermediate.dense.weight").And.Contain("[64, 32]").And.Contain("expected [48, 32]")
            .And.Contain("intermediate_size=48"));
    }

    private static float[] Shared(string model)
    {
        using var weights = ModelWeights.Open(Path.Combine(ReferenceFixture.Root, model));
        return weights.ReadFloat32("shared.weight");
    }

    private float[] PlainLogits(T5Model model, ReferenceFixture fixture)
    {
        using var ids = fixture.UploadInts(_cpu, "input_ids");
        using var mask = fixture.UploadInts(_cpu, "attention_mask");
        using var decoderIds = fixture.UploadInts(_cpu, "decoder_input_ids");
        using var embeds = model.EmbedTokens(ids);
        using var logits = model.ComputeLogits(embeds, mask, decoderIds);
        return logits.ToFloatArray();
    }

    private static float[] Random(int count)
    {
        var random = TestContext.CurrentContext.Random;
        return Enumerable.Range(0, count).Select(_ => (float)random.NextDouble(-1, 1)).ToArray();
    }

    private Tensor RandomTensor(params int[] shape)
    {
        var tensor = _cpu.Allocate(DType.F32, shape);
        tensor.CopyFrom(Random((int)tensor.Length));
        return tensor;
    }

    private Tensor Ones(int batch, int length)
    {
        var tensor = _cpu.Allocate(DType.I32, batch, length);
        tensor.CopyFrom(Enumerable.Repeat(1, batch * length).ToArray());
        return tensor;
    }
}
