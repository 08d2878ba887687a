using System.Globalization;
using DePT.Backends;
using DePT.Models.Runtime;
using DePT.Models.T5;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>
/// Runs one T5 reference fixture on a backend: the plain batch (encoder output, logits, greedy generation) and the DePT
/// batch (inputs_embeds through the prompt-input op, encoder output, logits, loss, d inputs_embeds and the prompt
/// gradients through the prompt-input backward).
/// </summary>
internal static class T5FixtureRun
{
    public static ParityResults Run(IBackend backend, DType dtype, string modelName)
    {
        var results = new ParityResults();
        using var fixture = ReferenceFixture.Open(modelName);
        using var model = T5Model.Load(backend, fixture.Folder, dtype);
        var config = model.Config;
        int[] idShape = fixture.Shape("input_ids");
        int batch = idShape[0], length = idShape[1], m = fixture.PromptLength, d = config.ModelDim;
        int targetLength = fixture.Shape("labels")[1];

        using var ids = fixture.UploadInts(backend, "input_ids");
        using var mask = fixture.UploadInts(backend, "attention_mask");
        using var decoderInputIds = fixture.UploadInts(backend, "decoder_input_ids");
        using (var plainEmbeds = model.EmbedTokens(ids))
        {
            using (var encoded = model.Encode(plainEmbeds, mask)) results.Add("encoder_last_hidden_state_plain", encoded, fixture);
            using (var logits = model.ComputeLogits(plainEmbeds, mask, decoderInputIds)) results.Add("logits_plain", logits, fixture);
            results.GeneratedIds = model.Generate(plainEmbeds, mask, int.Parse(fixture.Meta("max_new_tokens"), CultureInfo.InvariantCulture));
            results.ExpectedGeneratedIds = fixture.Ints("generated_ids");
        }

        using var dept = FixturePrompt.Create(backend, fixture, ids, model.Embeddings, dtype, m, d, results);
        var inputsEmbeds = dept.InputsEmbeds;
        using var promptedMask = fixture.UploadInts(backend, "prompted_attention_mask");
        using (var encoded = model.Encode(inputsEmbeds, promptedMask)) results.Add("encoder_last_hidden_state", encoded, fixture);
        using (var logits = model.ComputeLogits(inputsEmbeds, promptedMask, decoderInputIds)) results.Add("logits", logits, fixture);

        using var targets = T5Targets.FromLabels(backend, config, fixture.Ints("labels"), batch, targetLength);
        results.DecoderInputIds = targets.DecoderInputIds.ToInt32Array();
        results.ExpectedDecoderInputIds = fixture.Ints("decoder_input_ids");
        using var pass = model.ForwardTraining(inputsEmbeds, promptedMask, targets, DropoutSettings.Training(seed: 7));
        using var dInputs = pass.Backward();
        results.Add("loss", [pass.Loss], [(float)fixture.Loss]);
        results.Add("grad_inputs_embeds", dInputs, fixture);
        results.PaddedGradient = PaddedRows(dInputs.ToFloatArray(), fixture.Ints("prompted_attention_mask"), d);

        dept.AddGradients(dInputs, fixture, results);
        return results;
    }

    /// <summary>The rows of a (B, T, d) tensor where the (B, T) mask is 0, concatenated.</summary>
    public static float[] PaddedRows(float[] values, int[] mask, int d)
    {
        var rows = new List<float>();
        for (int i = 0; i < mask.Length; i++)
            if (mask[i] == 0) rows.AddRange(values.AsSpan(i * d, d).ToArray());
        return [.. rows];
    }
}
