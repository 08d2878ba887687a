using DePT.Backends;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>
/// The DePT input of a reference fixture on a backend: its prompt, A and B uploaded, inputs_embeds made by the fused
/// input op (checked against the fixture's), and the parameter gradients from d(loss)/d(inputs_embeds) (checked too).
/// </summary>
internal sealed class FixturePrompt : IDisposable
{
    private readonly IBackend _backend;
    private readonly Tensor _prompt, _lowRankA, _lowRankB;

    private FixturePrompt(IBackend backend, Tensor prompt, Tensor lowRankA, Tensor lowRankB, float scale, Tensor inputsEmbeds)
    {
        _backend = backend;
        (_prompt, _lowRankA, _lowRankB) = (prompt, lowRankA, lowRankB);
        Parameters = PromptParameters.Decomposed(prompt, lowRankA, lowRankB, scale);
        InputsEmbeds = inputsEmbeds;
    }

    public PromptParameters Parameters { get; }

    /// <summary>(B, m+L, d) in the model's dtype.</summary>
    public Tensor InputsEmbeds { get; }

    /// <summary>Uploads the fixture's DePT parameters and runs the input op over <paramref name="ids"/> (B, L), with row offsets when given (left padding).</summary>
    public static FixturePrompt Create(IBackend backend, ReferenceFixture fixture, Tensor ids, Tensor embeddings, DType dtype, int m, int d, ParityResults results,
        Tensor? rowOffsets = null)
    {
        int[] sr = fixture.Shape("lowrank_a");
        var prompt = fixture.UploadFloats(backend, "prompt", DType.F32, 1, m, d);
        var lowRankA = fixture.UploadFloats(backend, "lowrank_a", DType.F32, 1, sr[0], sr[1]);
        var lowRankB = fixture.UploadFloats(backend, "lowrank_b", DType.F32, 1, sr[1], d);
        var inputsEmbeds = backend.Allocate(dtype, ids.Dim(0), m + ids.Dim(1), d);
        var result = new FixturePrompt(backend, prompt, lowRankA, lowRankB, fixture.LowRankScale, inputsEmbeds);
        backend.PromptInputForward(inputsEmbeds, ids, embeddings, result.Parameters, null, 1f, rowOffsets);
        results.Add("inputs_embeds", inputsEmbeds, fixture);
        return result;
    }

    /// <summary>dP, dA, dB from <paramref name="dInputs"/> through the input op's backward (with the forward's row offsets), added to the results.</summary>
    public void AddGradients(Tensor dInputs, ReferenceFixture fixture, ParityResults results, Tensor? rowOffsets = null)
    {
        using var dPrompt = _backend.Allocate(DType.F32, _prompt.Shape.ToArray());
        using var dA = _backend.Allocate(DType.F32, _lowRankA.Shape.ToArray());
        using var dB = _backend.Allocate(DType.F32, _lowRankB.Shape.ToArray());
        foreach (var gradient in new[] { dPrompt, dA, dB }) _backend.Fill(gradient, 0f);
        _backend.PromptInputBackward(new PromptGradients(dPrompt, dA, dB), dInputs, Parameters, null, rowOffsets);
        results.Add("grad_prompt", dPrompt, fixture);
        results.Add("grad_lowrank_a", dA, fixture);
        results.Add("grad_lowrank_b", dB, fixture);
    }

    public void Dispose()
    {
        InputsEmbeds.Dispose();
        _lowRankB.Dispose();
        _lowRankA.Dispose();
        _prompt.Dispose();
    }
}
