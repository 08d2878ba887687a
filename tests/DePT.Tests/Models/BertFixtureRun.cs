using DePT.Backends;
using DePT.Models.Bert;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>
/// Runs the BERT reference fixture on a backend: the plain batch (last hidden state, pooler) and the DePT batch with
/// the fixture's probe loss Σ h⊙probe_hidden + Σ pooled⊙probe_pooled, whose gradients are the probes themselves.
/// </summary>
internal static class BertFixtureRun
{
    public static ParityResults Run(IBackend backend, DType dtype)
    {
        var results = new ParityResults();
        using var fixture = ReferenceFixture.Open("bert");
        using var model = BertModel.Load(backend, fixture.Folder, dtype);
        int[] idShape = fixture.Shape("input_ids");
        int batch = idShape[0], length = idShape[1], m = fixture.PromptLength, d = model.Config.HiddenSize;

        using var ids = fixture.UploadInts(backend, "input_ids");
        using var mask = fixture.UploadInts(backend, "attention_mask");
        using (var plainEmbeds = model.EmbedTokens(ids))
        using (var plain = model.Forward(plainEmbeds, mask, withPooler: true))
        {
            results.Add("last_hidden_state_plain", plain.LastHiddenState, fixture);
            results.Add("pooler_output_plain", plain.PooledOutput!, fixture);
        }

        using var dept = FixturePrompt.Create(backend, fixture, ids, model.Embeddings, dtype, m, d, results);
        var inputsEmbeds = dept.InputsEmbeds;

        using var promptedMask = fixture.UploadInts(backend, "prompted_attention_mask");
        using var pass = model.ForwardTraining(inputsEmbeds, promptedMask, null, withPooler: true, DropoutSettings.Training(seed: 11));
        results.Add("last_hidden_state", pass.LastHiddenState, fixture);
        results.Add("pooler_output", pass.PooledOutput!, fixture);
        float[] probeHidden = fixture.Floats("probe_hidden"), probePooled = fixture.Floats("probe_pooled");
        double loss = Dot(pass.LastHiddenState.ToFloatArray(), probeHidden) + Dot(pass.PooledOutput!.ToFloatArray(), probePooled);
        results.Add("loss", [(float)loss], [(float)fixture.Loss]);

        using var dHidden = fixture.UploadFloats(backend, "probe_hidden", dtype);
        using var dPooled = fixture.UploadFloats(backend, "probe_pooled", dtype);
        using var dInputs = pass.Backward(dHidden, dPooled);
        results.Add("grad_inputs_embeds", dInputs, fixture);
        results.PaddedGradient = T5FixtureRun.PaddedRows(dInputs.ToFloatArray(), fixture.Ints("prompted_attention_mask"), d);

        dept.AddGradients(dInputs, fixture, results);
        return results;
    }

    private static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }
}
