using DePT.Backends.Cpu;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>
/// Our CPU runtime against Hugging Face transformers 5.17 (the committed float64 fixtures): T5 v1.0 (ReLU, tied and
/// rescaled head) and v1.1 (gated GELU, own head), BERT with its pooler, and the LLaMA family (skipped until
/// tools/reference/make_llama_fixtures.py has written its fixtures). In fp32 the bounds are the CI
/// bounds: relative error ≤ 1e-4 on outputs and the loss, ≤ 1e-3 on gradients.
/// </summary>
public class ModelParityTests
{
    private const double OutputBound = 1e-4, GradientBound = 1e-3;

    /// <summary>
    /// bf16 weights (exact: the fixture's weights are bf16 values) and bf16 activations computed in fp32: outputs within
    /// 2e-2 of float64. Gradients and the BERT probe loss get 6e-2: the activations' rounding alone moves the T5 v1.0
    /// gradients by 2–4e-2 (measured: grad_inputs_embeds 4.0e-2, grad_lowrank_b 4.2e-2), so 2e-2 is out of reach there.
    /// </summary>
    private const double Bf16OutputBound = 2e-2, Bf16DerivedBound = 6e-2;

    [TestCase("t5_v1_0")]
    [TestCase("t5_v1_1")]
    public void T5_MatchesTransformers(string model)
    {
        var results = T5FixtureRun.Run(new CpuBackend(), DType.F32, model);

        results.AssertWithin(OutputBound, GradientBound, $"cpu f32 {model}");
        Assert.Multiple(() =>
        {
            Assert.That(results.Error("loss"), Is.LessThanOrEqualTo(OutputBound), "loss");
            Assert.That(results.DecoderInputIds, Is.EqualTo(results.ExpectedDecoderInputIds), "labels shifted right");
            Assert.That(Flatten(results.GeneratedIds!), Is.EqualTo(results.ExpectedGeneratedIds), "greedy generation");
            Assert.That(results.PaddedGradient, Is.Not.Empty.And.All.EqualTo(0f), "gradient at padded positions (dynamic padding is exact)");
        });
    }

    /// <summary>
    /// Llama (GQA, Llama-3 rope scaling) and Qwen2 (q/k/v biases, tied head), left-padded, with a DePT prompt and row
    /// offsets: outputs, loss, gradients, and 16 greedy tokens identical to transformers' generate().
    /// </summary>
    [TestCaseSource(typeof(LlamaFixtureRun), nameof(LlamaFixtureRun.Models))]
    public void Llama_MatchesTransformers(string model)
    {
        var results = LlamaFixtureRun.Run(new CpuBackend(), DType.F32, model);

        results.AssertWithin(OutputBound, GradientBound, $"cpu f32 {model}");
        Assert.Multiple(() =>
        {
            Assert.That(results.Error("loss"), Is.LessThanOrEqualTo(OutputBound), "loss");
            Assert.That(Flatten(results.GeneratedIds!), Is.EqualTo(results.ExpectedGeneratedIds), "greedy generation");
            Assert.That(results.PaddedGradient, Is.Not.Empty.And.All.EqualTo(0f), "gradient at padded positions");
        });
    }

    /// <summary>
    /// bf16 LLaMA-family runs: outputs within 3e-2 and gradients within 1.5e-1. A self-made fixture of the same tiny
    /// shape (our own fp32 run as the reference, bf16-exact weights) measured logits 1.7e-2 and gradients up to 8.9e-2
    /// (grad_inputs_embeds) from the activations' rounding alone, so T5's 2e-2 / 6e-2 would be met only by chance.
    /// </summary>
    [TestCaseSource(typeof(LlamaFixtureRun), nameof(LlamaFixtureRun.Models))]
    public void Llama_Bf16_StaysNearTransformers(string model)
    {
        var results = LlamaFixtureRun.Run(new CpuBackend(), DType.BF16, model);

        results.AssertWithin(LlamaBf16OutputBound, LlamaBf16DerivedBound, $"cpu bf16 {model}");
    }

    /// <summary>The LLaMA bf16 bounds (see <see cref="Llama_Bf16_StaysNearTransformers"/>), shared with the GPU tests.</summary>
    internal const double LlamaBf16OutputBound = 3e-2, LlamaBf16DerivedBound = 1.5e-1;

    [Test]
    public void Bert_MatchesTransformers()
    {
        var results = BertFixtureRun.Run(new CpuBackend(), DType.F32);

        results.AssertWithin(OutputBound, GradientBound, "cpu f32 bert");
        Assert.That(results.Error("loss"), Is.LessThanOrEqualTo(OutputBound), "loss");
        Assert.That(results.PaddedGradient, Is.Not.Empty.And.All.EqualTo(0f), "gradient at padded positions");
    }

    [TestCase("t5_v1_0")]
    [TestCase("t5_v1_1")]
    public void T5_Bf16_StaysNearTransformers(string model)
    {
        var results = T5FixtureRun.Run(new CpuBackend(), DType.BF16, model);

        results.AssertWithin(Bf16OutputBound, Bf16DerivedBound, $"cpu bf16 {model}");
        Assert.That(results.PaddedGradient, Is.Not.Empty.And.All.EqualTo(0f), "gradient at padded positions");
    }

    [Test]
    public void Bert_Bf16_StaysNearTransformers()
    {
        var results = BertFixtureRun.Run(new CpuBackend(), DType.BF16);

        results.AssertWithin(Bf16OutputBound, Bf16DerivedBound, "cpu bf16 bert");
    }

    internal static int[] Flatten(int[,] ids)
    {
        var flat = new int[ids.Length];
        int columns = ids.GetLength(1);
        for (int b = 0; b < ids.GetLength(0); b++)
            for (int t = 0; t < columns; t++)
                flat[b * columns + t] = ids[b, t];
        return flat;
    }
}
