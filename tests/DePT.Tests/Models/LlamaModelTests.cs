using System.Text.Json.Nodes;
using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.IO;
using DePT.Models.Llama;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>
/// The LLaMA-family runtime on the CPU against itself, without reference fixtures: loading (one file or shards, tied
/// heads, Qwen2 biases, errors), the backward against finite differences, left padding against right padding (also
/// with a DePT prompt and row offsets), the loss against cross-entropy of the logits, and generation (KV cache against
/// recomputation, batched against alone, seeded sampling, stop tokens).
/// </summary>
public class LlamaModelTests
{
    private const int Dim = 16, Vocab = 40;
    private readonly CpuBackend _cpu = new();

    [Test]
    public void ShardedWeightsGiveTheSameModelAsOneFile()
    {
        using var single = TinyLlamaFolder.Create(TinyLlamaFolder.LlamaConfig(), seed: 5);
        using var sharded = TinyLlamaFolder.Create(TinyLlamaFolder.LlamaConfig(), seed: 5, shards: 2);
        Assert.That(File.Exists(Path.Combine(sharded.Path, SafetensorsIndex.FileName)));
        using var a = LlamaModel.Load(_cpu, single.Path, DType.F32);
        using var b = LlamaModel.Load(_cpu, sharded.Path, DType.F32);
        var ids = ModelTestData.TokenIds(2 * 5, 3, Vocab);
        Assert.That(Logits(b, ids, ModelTestData.Mask(5, 5, 5), 2), Is.EqualTo(Logits(a, ids, ModelTestData.Mask(5, 5, 5), 2)));
        Assert.That(a.Weights.HasSeparateLmHead, "Llama's head is untied");
    }

    [Test]
    public void Qwen2HasBiasesAndATiedHead()
    {
        using var folder = TinyLlamaFolder.Create(TinyLlamaFolder.Qwen2Config(), seed: 6);
        using var model = LlamaModel.Load(_cpu, folder.Path, DType.F32);
        Assert.That(model.Config.HasQueryKeyValueBias && !model.Config.HasOutputBias);
        Assert.That(model.Weights.HasSeparateLmHead, Is.False);
        Assert.That(model.Weights.Layers[0].Attention.Key.Bias, Is.Not.Null);
        Assert.That(model.Weights.Layers[0].Attention.Key.OutFeatures, Is.EqualTo(4), "one key/value head of 4");
        Assert.That(Logits(model, ModelTestData.TokenIds(4, 3, Vocab), [1, 1, 1, 1]), Has.All.Matches<float>(float.IsFinite));
    }

    [Test]
    public void AMissingTensorIsNamed()
    {
        using var folder = TinyLlamaFolder.Create(TinyLlamaFolder.LlamaConfig(), seed: 7, keep: name => name != "model.layers.1.self_attn.k_proj.weight");
        var error = Assert.Throws<WeightsMismatchException>(() => LlamaModel.Load(_cpu, folder.Path, DType.F32));
        Assert.That(error!.Message, Does.Contain("model.layers.1.self_attn.k_proj.weight"));
    }

    [Test]
    public void AnotherFamilysFolderIsRefused()
    {
        var config = TinyLlamaFolder.LlamaConfig();
        using var folder = TinyLlamaFolder.Create(config, seed: 7);
        config["model_type"] = "gpt_neox";
        File.WriteAllText(Path.Combine(folder.Path, "config.json"), config.ToJsonString());
        Assert.That(() => LlamaModel.Load(_cpu, folder.Path, DType.F32), Throws.InstanceOf<DePT.Models.ModelConfigException>().With.Message.Contains("'gpt_neox' is not supported"));
    }

    [TestCase("llama")]
    [TestCase("qwen2")]
    public void BackwardMatchesFiniteDifferences(string family)
    {
        using var folder = TinyLlamaFolder.Create(family == "llama" ? TinyLlamaFolder.LlamaConfig() : TinyLlamaFolder.Qwen2Config(), seed: 8);
        using var model = LlamaModel.Load(_cpu, folder.Path, DType.F32);
        const int batch = 2, length = 6;
        // left padding in example 1, labels on the last three tokens of each example
        int[] mask = [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1];
        var ids = ModelTestData.TokenIds(batch * length, 3, Vocab);
        int[] labels = ids.Select((id, i) => i % length >= 3 && mask[i] == 1 ? id : CausalLmBatch.IgnoreIndex).ToArray();
        using var inputs = CausalLmBatch.Create(_cpu, mask, labels, batch, length, Vocab, promptLength: 2);
        float[] x = ModelTestData.Normal(batch * (length + 2) * Dim, 0.5);

        float[] gradient;
        using (var embeds = ModelTestData.Floats(_cpu, x, batch, length + 2, Dim))
        using (var pass = model.ForwardTraining(embeds, inputs))
        using (var dInputs = pass.Backward())
            gradient = dInputs.ToFloatArray();

        double Loss(float[] values)
        {
            using var embeds = ModelTestData.Floats(_cpu, values, batch, length + 2, Dim);
            using var pass = model.ForwardTraining(embeds, inputs);
            return pass.Loss;
        }
        ModelTestData.AssertDirectionalDerivatives(x, gradient, Loss, eps: 1e-3);
        for (int t = 2; t < 4; t++)
            Assert.That(gradient.AsSpan(((length + 2) + t) * Dim, Dim).ToArray(), Is.All.EqualTo(0f), $"masked row {t} of example 1");
    }

    [Test]
    public void LossIsTheMeanCrossEntropyOfEachRowAgainstTheNextLabel()
    {
        using var folder = TinyLlamaFolder.Create(TinyLlamaFolder.LlamaConfig(), seed: 9);
        using var model = LlamaModel.Load(_cpu, folder.Path, DType.F32);
        const int batch = 2, length = 5, m = 3, total = m + length;
        int[] mask = ModelTestData.Mask(length, 5, 4);
        var ids = ModelTestData.TokenIds(batch * length, 3, Vocab);
        int[] labels = ids.Select((id, i) => i % length >= 2 && mask[i] == 1 ? id : CausalLmBatch.IgnoreIndex).ToArray();
        using var inputs = CausalLmBatch.Create(_cpu, mask, labels, batch, length, Vocab, promptLength: m);
        using var embeds = ModelTestData.Floats(_cpu, ModelTestData.Normal(batch * total * Dim, 0.5), batch, total, Dim);
        using var logits = model.ComputeLogits(embeds, inputs);
        var values = logits.ToFloatArray();

        double sum = 0;
        int count = 0;
        for (int b = 0; b < batch; b++)
            for (int i = 1; i < length; i++)
            {
                int label = labels[b * length + i];
                if (label == CausalLmBatch.IgnoreIndex) continue;
                // token i sits at row m + i and is predicted by row m + i − 1
                var row = values.AsSpan((b * total + m + i - 1) * Vocab, Vocab);
                double max = double.NegativeInfinity, exps = 0;
                foreach (float v in row) max = Math.Max(max, v);
                foreach (float v in row) exps += Math.Exp(v - max);
                sum += Math.Log(exps) + max - row[label];
                count++;
            }
        using var pass = model.ForwardTraining(embeds, inputs);
        Assert.That(pass.LabelCount, Is.EqualTo(count));
        Assert.That(pass.Loss, Is.EqualTo(sum / count).Within(1e-5).Percent);
    }

    [Test]
    public void LeftPaddingGivesTheRowsOfRightPadding([Values] bool withPrompt)
    {
        using var folder = TinyLlamaFolder.Create(TinyLlamaFolder.LlamaConfig(), seed: 10);
        using var model = LlamaModel.Load(_cpu, folder.Path, DType.F32);
        int[] lengths = [6, 3, 1];
        const int length = 6, m = 2, r = 3, s = 8;
        var tokens = lengths.Select(n => ModelTestData.TokenIds(n, 3, Vocab)).ToArray();
        int promptLength = withPrompt ? m : 0;
        using var prompt = ModelTestData.Floats(_cpu, ModelTestData.Normal(m * Dim, 0.3), 1, m, Dim);
        using var a = ModelTestData.Floats(_cpu, ModelTestData.Normal(s * r, 0.5), 1, s, r);
        using var bMatrix = ModelTestData.Floats(_cpu, ModelTestData.Normal(r * Dim, 0.3), 1, r, Dim);
        var parameters = PromptParameters.Decomposed(prompt, a, bMatrix, 2f);

        float[] Run(bool left)
        {
            var ids = new int[lengths.Length * length];
            var mask = new int[ids.Length];
            for (int b = 0; b < lengths.Length; b++)
            {
                int start = left ? length - lengths[b] : 0;
                tokens[b].CopyTo(ids, b * length + start);
                mask.AsSpan(b * length + start, lengths[b]).Fill(1);
            }
            using var batch = CausalLmBatch.Create(_cpu, mask, lengths.Length, length, promptLength);
            using var idTensor = ModelTestData.Ints(_cpu, ids, lengths.Length, length);
            using var embeds = withPrompt ? _cpu.Allocate(DType.F32, lengths.Length, promptLength + length, Dim) : model.EmbedTokens(idTensor);
            if (withPrompt) _cpu.PromptInputForward(embeds, idTensor, model.Embeddings, parameters, null, 1f, batch.RowOffsets);
            using var logits = model.ComputeLogits(embeds, batch);
            // the real rows, in order: prompt rows, then each example's tokens
            var values = logits.ToFloatArray();
            var rows = new List<float>();
            for (int b = 0; b < lengths.Length; b++)
            {
                int start = left ? length - lengths[b] : 0;
                for (int t = 0; t < promptLength; t++) rows.AddRange(values.AsSpan((b * (promptLength + length) + t) * Vocab, Vocab).ToArray());
                for (int t = 0; t < lengths[b]; t++)
                    rows.AddRange(values.AsSpan((b * (promptLength + length) + promptLength + start + t) * Vocab, Vocab).ToArray());
            }
            return [.. rows];
        }

        var right = Run(left: false);
        var leftPadded = Run(left: true);
        Assert.That(Diagnostics.ErrorMetrics.Relative(leftPadded, right), Is.LessThan(1e-5));
    }

    [Test]
    public void CachedBatchedGreedyGenerationEqualsRecomputingEachExampleAlone()
    {
        using var folder = TinyLlamaFolder.Create(TinyLlamaFolder.LlamaConfig(), seed: 11);
        using var model = LlamaModel.Load(_cpu, folder.Path, DType.F32);
        int[] lengths = [5, 2, 4];
        const int length = 5, steps = 7;
        var tokens = lengths.Select(n => ModelTestData.TokenIds(n, 3, Vocab)).ToArray();
        var generated = Generate(model, tokens, length, new GenerationOptions(steps, StopTokenIds: []));
        Assert.That(generated.GetLength(1), Is.EqualTo(steps));

        for (int b = 0; b < lengths.Length; b++)
        {
            var sequence = tokens[b].ToList();
            for (int t = 0; t < steps; t++)
            {
                var logits = Logits(model, [.. sequence], Enumerable.Repeat(1, sequence.Count).ToArray());
                var last = logits.AsSpan((sequence.Count - 1) * Vocab, Vocab);
                int next = last.IndexOf(System.Numerics.Tensors.TensorPrimitives.Max(last));
                Assert.That(generated[b, t], Is.EqualTo(next), $"example {b}, step {t}");
                sequence.Add(next);
            }
        }
    }

    [Test]
    public void SamplingIsSeededAndANarrowNucleusIsGreedy()
    {
        using var folder = TinyLlamaFolder.Create(TinyLlamaFolder.LlamaConfig(), seed: 12);
        using var model = LlamaModel.Load(_cpu, folder.Path, DType.F32);
        var tokens = new[] { ModelTestData.TokenIds(4, 3, Vocab), ModelTestData.TokenIds(3, 3, Vocab) };
        var options = new GenerationOptions(12, Temperature: 1.5f, TopP: 0.95f, Seed: 42, StopTokenIds: []);
        var first = Generate(model, tokens, 4, options);
        Assert.That(Generate(model, tokens, 4, options), Is.EqualTo(first), "same seed, same tokens");
        var others = Enumerable.Range(43, 4).Select(seed => Generate(model, tokens, 4, options with { Seed = seed })).ToArray();
        Assert.That(others.Any(o => !o.Cast<int>().SequenceEqual(first.Cast<int>())), "other seeds draw other tokens");
        var greedy = Generate(model, tokens, 4, new GenerationOptions(12, StopTokenIds: []));
        Assert.That(Generate(model, tokens, 4, options with { TopP = 1e-6f }), Is.EqualTo(greedy), "a nucleus of one token is the argmax");
    }

    [Test]
    public void StopTokensEndRowsThatArePaddedAfter()
    {
        using var folder = TinyLlamaFolder.Create(TinyLlamaFolder.LlamaConfig(), seed: 13);
        using var model = LlamaModel.Load(_cpu, folder.Path, DType.F32);
        var tokens = new[] { ModelTestData.TokenIds(3, 3, Vocab), ModelTestData.TokenIds(3, 3, Vocab) };
        var free = Generate(model, tokens, 3, new GenerationOptions(6, StopTokenIds: []));
        int stop = free[0, 1];
        var stopped = Generate(model, tokens, 3, new GenerationOptions(6, StopTokenIds: [stop], PadTokenId: 0));
        int firstStop = Enumerable.Range(0, 6).First(t => free[0, t] == stop);
        for (int t = 0; t < stopped.GetLength(1); t++)
            Assert.That(stopped[0, t], Is.EqualTo(t <= firstStop ? free[0, t] : 0), $"row 0 step {t}");
        // decoding ends once every row has stopped
        int Ended(int row) => Enumerable.Range(0, 6).Where(t => free[row, t] == stop).Select(t => t + 1).DefaultIfEmpty(6).First();
        Assert.That(stopped.GetLength(1), Is.EqualTo(Math.Max(Ended(0), Ended(1))));
    }

    [Test]
    public void RightPaddedInputsAreRefusedForGeneration()
    {
        using var folder = TinyLlamaFolder.Create(TinyLlamaFolder.LlamaConfig(), seed: 14);
        using var model = LlamaModel.Load(_cpu, folder.Path, DType.F32);
        using var batch = CausalLmBatch.Create(_cpu, [1, 1, 0], 1, 3);
        using var embeds = _cpu.Allocate(DType.F32, 1, 3, Dim);
        Assert.That(() => model.Generate(embeds, batch, new GenerationOptions(2)), Throws.ArgumentException.With.Message.Contains("left-padded"));
    }

    /// <summary>Logits (B, L, V) of ids (B, L) with their mask, B = mask rows of <paramref name="batch"/>.</summary>
    private float[] Logits(LlamaModel model, int[] ids, int[] mask, int batch = 1)
    {
        using var inputs = CausalLmBatch.Create(_cpu, mask, batch, ids.Length / batch);
        using var idTensor = ModelTestData.Ints(_cpu, ids, batch, ids.Length / batch);
        using var embeds = model.EmbedTokens(idTensor);
        using var logits = model.ComputeLogits(embeds, inputs);
        return logits.ToFloatArray();
    }

    /// <summary>Left-pads the examples to <paramref name="length"/> and generates.</summary>
    private int[,] Generate(LlamaModel model, int[][] tokens, int length, GenerationOptions options)
    {
        var ids = new int[tokens.Length * length];
        var mask = new int[ids.Length];
        for (int b = 0; b < tokens.Length; b++)
        {
            tokens[b].CopyTo(ids, (b + 1) * length - tokens[b].Length);
            mask.AsSpan((b + 1) * length - tokens[b].Length, tokens[b].Length).Fill(1);
        }
        using var batch = CausalLmBatch.Create(_cpu, mask, tokens.Length, length);
        using var idTensor = ModelTestData.Ints(_cpu, ids, tokens.Length, length);
        using var embeds = model.EmbedTokens(idTensor);
        return model.Generate(embeds, batch, options);
    }
}
