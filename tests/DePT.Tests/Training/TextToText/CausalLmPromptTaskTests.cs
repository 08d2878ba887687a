using DePT.Checkpoints;
using DePT.Data;
using DePT.IO;
using DePT.Metrics;
using DePT.Models.Llama;
using DePT.Prompts;
using DePT.Tensors;
using DePT.Tests.IO;
using DePT.Tests.Models;
using DePT.Tests.Serving;
using DePT.Training;
using DePT.Training.TextToText;

namespace DePT.Tests.Training.TextToText;

/// <summary>
/// Prompt tuning of a tiny random Llama on text-to-text rows (the number tokenizer: a text is its ids): the loss is the
/// model's causal-LM loss of input + target + end with labels on the answer only, training lowers it, generation of
/// left-padded batches equals each example alone, scores follow the generations, and the prompt saves and loads.
/// </summary>
public class CausalLmPromptTaskTests
{
    private const int InputLength = 6, TargetLength = 3, Eos = 2;

    private static readonly Example[] Rows =
    [
        new("5 6 7", "8 9", null, "train.jsonl", 1),
        new("10 11 12 13 14", "15", null, "train.jsonl", 2),
        new("16", "17 18 19", null, "train.jsonl", 3),
        new("20 21", "22 23", null, "train.jsonl", 4),
    ];

    [Test]
    public void TheLossIsTheModelsLossOfTheAnswer_AndTrainingLowersIt()
    {
        using var rig = new Rig(seed: 41, dept: true);
        var batch = rig.Task.Encode(Rows, [0, 1, 2, 3]);

        // the same sequences by hand: input, target, end; labels on the target and the end
        var tokenizer = new NumberTokenizer();
        int[][] sequences = Rows.Select(e => tokenizer.Encode(e.Input, InputLength).Concat(tokenizer.Encode(e.Target!, TargetLength)).Append(Eos).ToArray()).ToArray();
        int length = sequences.Max(s => s.Length);
        var ids = new int[Rows.Length * length];
        var mask = new int[ids.Length];
        var labels = Enumerable.Repeat(CausalLmBatch.IgnoreIndex, ids.Length).ToArray();
        for (int b = 0; b < Rows.Length; b++)
        {
            int inputTokens = tokenizer.Encode(Rows[b].Input, InputLength).Length;
            for (int t = 0; t < sequences[b].Length; t++)
            {
                ids[b * length + t] = sequences[b][t];
                mask[b * length + t] = 1;
                if (t >= inputTokens) labels[b * length + t] = sequences[b][t];
            }
        }
        float expected;
        using (var causal = CausalLmBatch.Create(rig.Model.Backend, mask, labels, Rows.Length, length, rig.Model.Config.VocabSize, rig.Prompt.PromptLength))
        using (var idTensor = ModelTestData.Ints(rig.Model.Backend, ids, Rows.Length, length))
        using (var embeds = rig.Model.Backend.Allocate(DType.F32, Rows.Length, rig.Prompt.PromptLength + length, rig.Model.Config.HiddenSize))
        {
            rig.Model.Backend.PromptInputForward(embeds, idTensor, rig.Model.Embeddings, rig.Prompt.Parameters, null, 1f, causal.RowOffsets);
            using var pass = rig.Model.ForwardTraining(embeds, causal);
            expected = pass.Loss;
        }

        float first = rig.Task.AccumulateGradients(batch);
        Assert.That(first, Is.EqualTo(expected).Within(1e-5).Percent);
        rig.Task.Optimizer.Step();
        float last = first;
        for (int step = 0; step < 15; step++)
        {
            last = rig.Task.AccumulateGradients(batch);
            rig.Task.Optimizer.Step();
        }
        Assert.That(last, Is.LessThan(first * 0.9f), $"loss {first} → {last}");
    }

    [Test]
    public void LeftPaddedGeneration_EqualsEachExampleAlone_AndIsScored()
    {
        using var rig = new Rig(seed: 42, dept: true);
        string[] generated = rig.Task.Generate(Rows, batchSize: 4);
        var tokenizer = new NumberTokenizer();
        for (int i = 0; i < Rows.Length; i++)
        {
            int[] input = tokenizer.Encode(Rows[i].Input, InputLength);
            using var causal = CausalLmBatch.Create(rig.Model.Backend, Enumerable.Repeat(1, input.Length).ToArray(), 1, input.Length, rig.Prompt.PromptLength);
            using var idTensor = ModelTestData.Ints(rig.Model.Backend, input, 1, input.Length);
            using var embeds = rig.Model.Backend.Allocate(DType.F32, 1, rig.Prompt.PromptLength + input.Length, rig.Model.Config.HiddenSize);
            rig.Model.Backend.PromptInputForward(embeds, idTensor, rig.Model.Embeddings, rig.Prompt.Parameters, null, 1f);
            int[,] alone = rig.Model.Generate(embeds, causal, new GenerationOptions(TargetLength, StopTokenIds: [Eos]));
            var ids = Enumerable.Range(0, alone.GetLength(1)).Select(t => alone[0, t]).TakeWhile(id => id != Eos).ToArray();
            Assert.That(generated[i], Is.EqualTo(tokenizer.Decode(ids)), $"row {i}");
        }
        var metrics = rig.Task.Evaluate(Rows, batchSize: 3);
        Assert.That(metrics[MetricKind.ExactMatch], Is.EqualTo(TextMetrics.ExactMatch(generated, Rows.Select(e => e.Target!).ToList())));
        Assert.That(metrics.Keys, Is.EquivalentTo(new[] { MetricKind.ExactMatch, MetricKind.TokenF1 }));
    }

    [Test]
    public void ThePromptSavesAndLoads_AndADePTPromptTooShortForInputAndTargetIsRefused()
    {
        using var folder = new TemporaryFolder();
        using var trained = new Rig(seed: 43, dept: true);
        trained.Task.AccumulateGradients(trained.Task.Encode(Rows, [0, 1]));
        trained.Task.Optimizer.Step();
        trained.Task.SaveParameters(folder.Path);
        using var fresh = new Rig(seed: 43, dept: true);
        fresh.Task.LoadParameters(folder.Path);
        Assert.That(fresh.Task.Generate(Rows, 4), Is.EqualTo(trained.Task.Generate(Rows, 4)));

        using var shortPrompt = new DecomposedPrompt(fresh.Model.Backend, 2, fresh.Model.Config.HiddenSize, maxLength: InputLength + TargetLength, rank: 2, lowRankSeed: 1);
        Assert.That(() => new CausalLmPromptTask(fresh.Model, shortPrompt, new NumberTokenizer(), new ExampleBatcher(new NumberTokenizer(), InputLength, TargetLength), fresh.Identity,
            new AdamWSettings()), Throws.ArgumentException.With.Message.Contains($"A has s={InputLength + TargetLength} rows"));
    }

    /// <summary>A tiny Llama (vocabulary 40, eos 2), a DePT or PT prompt drawn from the seed, and the task over them.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly TinyLlamaFolder _folder;

        public Rig(int seed, bool dept)
        {
            _folder = TinyLlamaFolder.Create(TinyLlamaFolder.LlamaConfig(), seed);
            Model = LlamaModel.Load(new Backends.Cpu.CpuBackend(), _folder.Path, DType.F32);
            int d = Model.Config.HiddenSize;
            Prompt = dept
                ? new DecomposedPrompt(Model.Backend, 2, d, maxLength: InputLength + TargetLength + 1, rank: 2, lowRankSeed: (ulong)seed)
                : new PromptTuning(Model.Backend, 2, d);
            Prompt.InitializeRandom((ulong)seed, range: 1f);
            if (Prompt is DecomposedPrompt decomposed) decomposed.LowRankB.CopyFrom(ModelTestData.Normal((int)decomposed.LowRankB.Length, 0.3, new Random(seed)));
            using (var file = SafetensorsFile.Open(Path.Combine(_folder.Path, "model.safetensors")))
                Identity = ModelIdentity.FromSafetensors("llama", 2, file, "model.embed_tokens.weight");
            var tokenizer = new NumberTokenizer();
            Task = new CausalLmPromptTask(Model, Prompt, tokenizer, new ExampleBatcher(tokenizer, InputLength, TargetLength), Identity,
                new AdamWSettings(PromptLearningRate: 3e-2f, LowRankLearningRate: 1e-2f, WarmupSteps: 0, TotalSteps: 100));
        }

        public LlamaModel Model { get; }

        public SoftPrompt Prompt { get; }

        public ModelIdentity Identity { get; }

        public CausalLmPromptTask Task { get; }

        public void Dispose()
        {
            Task.Dispose();
            Prompt.Dispose();
            Model.Dispose();
            _folder.Dispose();
        }
    }
}
