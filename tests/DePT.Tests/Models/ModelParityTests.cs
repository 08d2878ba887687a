using DePT.Backends.Cpu;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>
/// Our CPU runtime against Hugging Face transformers 5.17 (the committed float64 fixtures): T5 v1.0 (ReLU, tied and
/// rescaled head) and v1.1 (gated GELU, own head), and BERT with its pooler. Bounds are the CI bounds:
/// relative error ≤ 1e-4 on outputs and the loss, ≤ 1e-3 on gradients.
/// </summary>
public class ModelParityTests
{
    private const double OutputBound = 1e-4, GradientBound = 1e-3;

    [TestCase("t5_v1_0")]
    [TestCase("t5_v1_1")]
    public void T5_MatchesTransformers(string model)
    {
        var results = T5FixtureRun.Run(new CpuBackend(), DType.F32, model);

        results.AssertWithin(OutputBound, GradientBound, $"cpu f32 {model}");
        Assert.Multiple(() =>
        {
            Assert.That(results.DecoderInputIds, Is.EqualTo(results.ExpectedDecoderInputIds), "labels shifted right");
            Assert.That(Flatten(results.GeneratedIds!), Is.EqualTo(results.ExpectedGeneratedIds), "greedy generation");
            Assert.That(results.PaddedGradient, Is.Not.Empty.And.All.EqualTo(0f), "gradient at padded positions (dynamic padding is exact)");
        });
    }

    [Test]
    public void Bert_MatchesTransformers()
    {
        var results = BertFixtureRun.Run(new CpuBackend(), DType.F32);

        results.AssertWithin(OutputBound, GradientBound, "cpu f32 bert");
        Assert.That(results.PaddedGradient, Is.Not.Empty.And.All.EqualTo(0f), "gradient at padded positions");
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
