using DePT.Backends;
using DePT.Models.Llama;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>
/// Runs one LLaMA-family reference fixture (tools/reference/make_llama_fixtures.py) on a backend: the plain left-padded
/// batch (logits, 16 greedy tokens) and the DePT batch (inputs_embeds through the prompt-input op with row offsets,
/// logits, loss, d inputs_embeds, and the prompt gradients through the prompt-input backward). Logits at masked rows are
/// compared as zeros on both sides (the fixture writes zeros there: transformers attends uniformly, we give zeros).
/// </summary>
internal static class LlamaFixtureRun
{
    public static readonly string[] Models = ["llama_gqa", "qwen2"];

    /// <summary>Skips the test (Assert.Ignore) while the fixture folder has not been generated.</summary>
    public static void RequireFixture(string model)
    {
        if (!Directory.Exists(Path.Combine(ReferenceFixture.Root, model)))
            Assert.Ignore($"fixture not generated yet: run tools/reference/make_llama_fixtures.py (tests/DePT.Tests/Fixtures/reference/{model} is absent)");
    }

    public static ParityResults Run(IBackend backend, DType dtype, string modelName)
    {
        RequireFixture(modelName);
        var results = new ParityResults();
        using var fixture = ReferenceFixture.Open(modelName);
        using var model = LlamaModel.Load(backend, fixture.Folder, dtype);
        int[] idShape = fixture.Shape("input_ids");
        int batch = idShape[0], length = idShape[1], m = fixture.PromptLength, d = model.Config.HiddenSize, vocab = model.Config.VocabSize;
        var mask = fixture.Ints("attention_mask");
        var labels = fixture.Ints("labels");

        using var ids = fixture.UploadInts(backend, "input_ids");
        using (var plain = CausalLmBatch.Create(backend, mask, batch, length))
        {
            Assert.That(plain.Positions.ToInt32Array(), Is.EqualTo(fixture.Ints("position_ids")), "positions of the left-padded batch");
            Assert.That(plain.RowOffsets.ToInt32Array(), Is.EqualTo(fixture.Ints("row_offsets")), "row offsets");
            using var embeds = model.EmbedTokens(ids);
            using (var logits = model.ComputeLogits(embeds, plain))
                results.Add("logits_plain", ZeroMaskedRows(logits.ToFloatArray(), mask, vocab), fixture.Floats("logits_plain"));
            results.GeneratedIds = model.Generate(embeds, plain, new GenerationOptions(int.Parse(fixture.Meta("max_new_tokens"), System.Globalization.CultureInfo.InvariantCulture), StopTokenIds: []));
            results.ExpectedGeneratedIds = fixture.Ints("generated_ids");
        }

        using var prompted = CausalLmBatch.Create(backend, mask, labels, batch, length, vocab, promptLength: m);
        Assert.That(prompted.Positions.ToInt32Array(), Is.EqualTo(fixture.Ints("prompted_position_ids")), "positions behind the prompt");
        using var dept = FixturePrompt.Create(backend, fixture, ids, model.Embeddings, dtype, m, d, results, prompted.RowOffsets);
        var promptedMask = fixture.Ints("prompted_attention_mask");
        using (var logits = model.ComputeLogits(dept.InputsEmbeds, prompted))
            results.Add("logits", ZeroMaskedRows(logits.ToFloatArray(), promptedMask, vocab), fixture.Floats("logits"));
        using var pass = model.ForwardTraining(dept.InputsEmbeds, prompted);
        using var dInputs = pass.Backward();
        results.Add("loss", [pass.Loss], [(float)fixture.Loss]);
        results.Add("grad_inputs_embeds", dInputs, fixture);
        results.PaddedGradient = T5FixtureRun.PaddedRows(dInputs.ToFloatArray(), promptedMask, d);
        dept.AddGradients(dInputs, fixture, results, prompted.RowOffsets);
        return results;
    }

    private static float[] ZeroMaskedRows(float[] values, int[] mask, int width)
    {
        for (int row = 0; row < mask.Length; row++)
            if (mask[row] == 0) values.AsSpan(row * width, width).Clear();
        return values;
    }
}
