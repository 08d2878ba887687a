using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Diagnostics;
using DePT.Models.Bert;
using DePT.Tensors;
using DePT.Tests.MiniLm;
using DePT.Tokenizers;

namespace DePT.Tests.Models;

/// <summary>Our CPU BertModel with the real all-MiniLM-L6-v2 weights against ONNX Runtime running the same model.</summary>
public class MiniLmModelTests
{
    private const int Width = 384;
    private readonly CpuBackend _cpu = new();

    [Test]
    public void Forward_RealSentences_MatchesOnnxRuntime()
    {
        string[] sentences =
        [
            "The quick brown fox jumps over the lazy dog.",
            "A man is eating food.",
            "Prompt tuning trains a few soft tokens and freezes the transformer.",
            "hi",
        ];
        using var reference = MiniLmOnnxReference.Create();
        float[] expected = reference.LastHiddenState(sentences, 128, out TokenBatch batch);
        using var model = BertModel.FromMiniLm(_cpu, MiniLmAssets.Weights, DType.F32);

        float[] actual = Hidden(model, batch, out _);

        double error = ErrorMetrics.Relative(actual, expected);
        TestContext.Out.WriteLine($"MiniLM last hidden state vs ONNX Runtime, {batch.BatchSize}×{batch.SequenceLength}: relative error {error:E2}");
        Assert.That(batch.Lengths.Distinct().Count(), Is.GreaterThan(1), "the batch must be padded");
        Assert.That(error, Is.LessThanOrEqualTo(1e-4), ErrorMetrics.FirstMismatches(actual, expected, 1e-4));
    }

    [Test]
    public void MeanPooledEmbedding_ModelCardSentence_MatchesSentenceTransformers()
    {
        using var model = BertModel.FromMiniLm(_cpu, MiniLmAssets.Weights, DType.F32);
        var batch = MiniLmAssets.Tokenizer.EncodeBatch(["This is an example sentence", "Each sentence is converted"], 128);

        Hidden(model, batch, out var pooled);

        float[] first = pooled.AsSpan(0, Width).ToArray();
        MiniLmOnnxReference.L2Normalize(first, Width);
        Assert.That(first[..4], Is.EqualTo(new[] { 0.06766f, 0.06350f, 0.04871f, 0.07930f }).Within(1e-4f));
    }

    /// <summary>The last hidden state (B, T, 384) and the mean-pooled vectors (B, 384) of a tokenized batch.</summary>
    private float[] Hidden(BertModel model, TokenBatch batch, out float[] meanPooled)
    {
        using var ids = Upload(_cpu, batch.InputIds, batch.BatchSize, batch.SequenceLength);
        using var mask = Upload(_cpu, batch.AttentionMask, batch.BatchSize, batch.SequenceLength);
        using var embeds = model.EmbedTokens(ids);
        using var output = model.Forward(embeds, mask);
        using var pooled = model.Pool(output.LastHiddenState, mask, PoolingKind.Mean);
        meanPooled = pooled.ToFloatArray();
        return output.LastHiddenState.ToFloatArray();
    }

    private static Tensor Upload(IBackend backend, int[] values, int batch, int length)
    {
        var tensor = backend.Allocate(DType.I32, batch, length);
        tensor.CopyFrom(values);
        return tensor;
    }
}
