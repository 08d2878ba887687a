using System.Numerics.Tensors;
using DePT.Models.MiniLm;
using DePT.Tokenizers;

namespace DePT.Tests.MiniLm;

/// <summary>Pins the reference (ONNX Runtime on the real model) to the model card, then checks our mapped
/// weights against the values ORT computes inside the graph.</summary>
public class MiniLmOnnxReferenceTests
{
    private const int Width = 384;

    private static float RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        var difference = new float[actual.Length];
        TensorPrimitives.Subtract(actual, expected, difference);
        return TensorPrimitives.Norm(difference) / TensorPrimitives.Norm(expected);
    }

    [Test]
    public void Reference_ModelCardSentence_GivesTheSentenceTransformersEmbedding()
    {
        using var reference = MiniLmOnnxReference.Create();
        Assert.That(reference.InputNames, Is.EquivalentTo(new[] { "input_ids", "attention_mask", "token_type_ids" }));

        float[] hidden = reference.LastHiddenState(["This is an example sentence"], 128, out TokenBatch batch);
        float[] embedding = MiniLmOnnxReference.MeanPool(hidden, batch, Width);
        MiniLmOnnxReference.L2Normalize(embedding, Width);

        Assert.That(hidden, Has.Length.EqualTo(7 * Width));
        Assert.That(embedding[..4], Is.EqualTo(new[] { 0.06766f, 0.06350f, 0.04871f, 0.07930f }).Within(1e-4f));
    }

    [Test]
    public void Reference_PaddedBatch_MatchesEachSentenceRunAlone()
    {
        using var reference = MiniLmOnnxReference.Create();
        string[] sentences = ["This is an example sentence", "Each sentence is converted", "hi"];

        float[] batched = reference.LastHiddenState(sentences, 128, out TokenBatch batch);

        for (int b = 0; b < sentences.Length; b++)
        {
            float[] alone = reference.LastHiddenState([sentences[b]], 128, out TokenBatch single);
            int length = single.SequenceLength;
            ReadOnlySpan<float> rows = batched.AsSpan(b * batch.SequenceLength * Width, length * Width);
            Assert.That(RelativeError(rows, alone), Is.LessThan(1e-5f), $"sentence {b}: padding must not change real tokens");
        }
    }

    [Test]
    public void MappedEmbeddings_ReproduceOrtsEmbeddingLayerNormOutput()
    {
        OnnxModel model = MiniLmAssets.Model;
        MiniLmWeights weights = MiniLmAssets.Weights;
        // The embedding LayerNorm's output is the Add that consumes its bias.
        string embeddingOutput = model.Nodes.Single(n => n.OpType == "Add" && n.Inputs.Contains("embeddings.LayerNorm.bias")).Outputs[0];
        using var reference = MiniLmOnnxReference.Create([embeddingOutput]);
        TokenBatch batch = MiniLmAssets.Tokenizer.EncodeBatch(["This is an example sentence", "Tokenizers split words into pieces"], 32);

        float[] ort = reference.Run(batch, embeddingOutput)[embeddingOutput].Data;

        float[] ours = new float[ort.Length];
        float[] words = weights["embeddings.word_embeddings.weight"].Data, positions = weights["embeddings.position_embeddings.weight"].Data;
        float[] types = weights["embeddings.token_type_embeddings.weight"].Data;
        float[] gamma = weights["embeddings.LayerNorm.weight"].Data, beta = weights["embeddings.LayerNorm.bias"].Data;
        float epsilon = weights.Config.LayerNormEpsilon;
        for (int b = 0; b < batch.BatchSize; b++)
        {
            for (int t = 0; t < batch.SequenceLength; t++)
            {
                Span<float> x = ours.AsSpan((b * batch.SequenceLength + t) * Width, Width);
                int id = batch.InputIds[b * batch.SequenceLength + t];
                TensorPrimitives.Add(words.AsSpan(id * Width, Width), positions.AsSpan(t * Width, Width), x);
                TensorPrimitives.Add(x, types.AsSpan(0, Width), x);
                float mean = TensorPrimitives.Average(x);
                TensorPrimitives.Subtract(x, mean, x);
                float variance = TensorPrimitives.SumOfSquares(x) / Width;
                TensorPrimitives.Multiply(x, 1f / MathF.Sqrt(variance + epsilon), x);
                TensorPrimitives.FusedMultiplyAdd(x, gamma, beta, x);
            }
        }

        Assert.That(RelativeError(ours, ort), Is.LessThan(1e-5f));
    }

    [Test]
    public void MappedLinearWeights_ReproduceEveryLinearLayerOrtComputes()
    {
        OnnxModel model = MiniLmAssets.Model;
        MiniLmWeights weights = MiniLmAssets.Weights;
        // For each linear layer, find in the graph the value it reads and the value it writes (after the bias).
        var layers = new List<(string Weight, string Input, string Output)>();
        foreach (OnnxNode add in model.Nodes.Where(n => n.OpType == "Add"))
        {
            string? bias = add.Inputs.FirstOrDefault(i => i.EndsWith(".dense.bias") || i.EndsWith(".query.bias") || i.EndsWith(".key.bias") || i.EndsWith(".value.bias"));
            if (bias is null)
                continue;
            string product = add.Inputs.Single(i => i != bias);
            OnnxNode matMul = model.Nodes.Single(n => n.OpType == "MatMul" && n.Outputs[0] == product);
            layers.Add((bias[..^"bias".Length] + "weight", matMul.Inputs[0], add.Outputs[0]));
        }
        OnnxNode pooler = model.Nodes.Single(n => n.OpType == "Gemm");
        layers.Add(("pooler.dense.weight", pooler.Inputs[0], pooler.Outputs[0]));
        Assert.That(layers, Has.Count.EqualTo(6 * weights.Config.NumLayers + 1));

        string[] outputs = layers.SelectMany(l => new[] { l.Input, l.Output }).Distinct().ToArray();
        using var reference = MiniLmOnnxReference.Create(outputs);
        TokenBatch batch = MiniLmAssets.Tokenizer.EncodeBatch(["A man is eating food.", "The new movie is awesome"], 32);
        var values = reference.Run(batch, outputs);

        foreach (var (weightName, input, output) in layers)
        {
            WeightTensor weight = weights[weightName];
            float[] bias = weights[weightName[..^"weight".Length] + "bias"].Data;
            int outFeatures = weight.Shape[0], inFeatures = weight.Shape[1];
            float[] x = values[input].Data, expected = values[output].Data;
            int rows = x.Length / inFeatures;
            Assert.That(expected, Has.Length.EqualTo(rows * outFeatures), weightName);
            var ours = new float[expected.Length];
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> row = x.AsSpan(r * inFeatures, inFeatures);
                for (int o = 0; o < outFeatures; o++)
                    ours[r * outFeatures + o] = TensorPrimitives.Dot(row, weight.Data.AsSpan(o * inFeatures, inFeatures)) + bias[o];
            }
            Assert.That(RelativeError(ours, expected), Is.LessThan(1e-5f), $"{weightName}: {input} -> {output}");
        }
    }
}
