using DePT.Backends.Cpu;
using DePT.Models;
using DePT.Models.Runtime;
using DePT.Models.T5;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>T5 training on the CPU: backward against finite differences with dropout on, dropout's seeding, what the forward saves, and the cached generation against recomputation.</summary>
public class T5TrainingTests
{
    private const int Batch = 2, Length = 6, Target = 4, Dim = 32;
    private readonly CpuBackend _cpu = new();

    [Test]
    public void Backward_WithDropout_MatchesFiniteDifferences()
    {
        using var folder = ModelFolder.Copy("t5_v1_1", editConfig: json => json.Replace("\"dropout_rate\": 0.0", "\"dropout_rate\": 0.1"));
        using var model = T5Model.Load(_cpu, folder.Path, DType.F32);
        Assert.That(model.Config.DropoutRate, Is.EqualTo(0.1));
        float[] x = ModelTestData.Normal(Batch * Length * Dim);
        using var mask = ModelTestData.Ints(_cpu, ModelTestData.Mask(Length, Length, 4), Batch, Length);
        using var targets = Targets(model.Config, ignoreOne: true);
        var dropout = DropoutSettings.Training((ulong)TestContext.CurrentContext.Random.NextInt64());

        float[] gradient;
        using (var inputs = ModelTestData.Floats(_cpu, x, Batch, Length, Dim))
        using (var pass = model.ForwardTraining(inputs, mask, targets, dropout))
        using (var dInputs = pass.Backward())
            gradient = dInputs.ToFloatArray();

        double Loss(float[] values)
        {
            using var inputs = ModelTestData.Floats(_cpu, values, Batch, Length, Dim);
            using var pass = model.ForwardTraining(inputs, mask, targets, dropout);
            return pass.Loss;
        }
        ModelTestData.AssertDirectionalDerivatives(x, gradient, Loss, eps: 3e-3);
    }

    [Test]
    public void Dropout_IsSeededPerStepAndOffInEvaluation()
    {
        using var folder = ModelFolder.Copy("t5_v1_1", editConfig: json => json.Replace("\"dropout_rate\": 0.0", "\"dropout_rate\": 0.1"));
        using var model = T5Model.Load(_cpu, folder.Path, DType.F32);
        using var inputs = ModelTestData.Floats(_cpu, ModelTestData.Normal(Batch * Length * Dim), Batch, Length, Dim);
        using var mask = ModelTestData.Ints(_cpu, ModelTestData.Mask(Length, Length, 5), Batch, Length);
        using var targets = Targets(model.Config, ignoreOne: false);
        float Loss(DropoutSettings dropout)
        {
            using var pass = model.ForwardTraining(inputs, mask, targets, dropout);
            return pass.Loss;
        }

        float off = Loss(DropoutSettings.Off), first = Loss(DropoutSettings.Training(1)), again = Loss(DropoutSettings.Training(1)), other = Loss(DropoutSettings.Training(2));

        Assert.That(again, Is.EqualTo(first), "same seed, same masks");
        Assert.That(other, Is.Not.EqualTo(first), "another seed, other masks");
        Assert.That(first, Is.Not.EqualTo(off), "training applies dropout");
        using var logits = model.ComputeLogits(inputs, mask, targets.DecoderInputIds);
        Assert.That(HostCrossEntropy(logits.ToFloatArray(), targets), Is.EqualTo(off).Within(1e-3).Percent, "evaluation mode: no dropout");
    }

    [Test]
    public void TrainingPass_SavesWhatTheFormulaSays()
    {
        using var fixture = ReferenceFixture.Open("t5_v1_1");
        using var model = T5Model.Load(_cpu, fixture.Folder, DType.F32);
        var c = model.Config;
        using var inputs = ModelTestData.Floats(_cpu, ModelTestData.Normal(Batch * Length * Dim), Batch, Length, Dim);
        using var mask = ModelTestData.Ints(_cpu, ModelTestData.Mask(Length, Length, 3), Batch, Length);
        using var targets = Targets(c, ignoreOne: false);

        using var pass = model.ForwardTraining(inputs, mask, targets, DropoutSettings.Off);

        long e = 4, d = c.ModelDim, inner = c.NumHeads * c.HeadDim, heads = c.NumHeads, ffw = c.IsGatedFeedForward ? 2 * c.FeedForwardDim : c.FeedForwardDim;
        long n = Batch * Length, nd = Batch * Target, s = Length, t = Target;
        long normInput(long rows) => rows * d * e + 4 * rows;
        long encoder = c.NumLayers * (normInput(n) + 3 * n * inner * e + 4 * Batch * heads * s * s + normInput(n) + n * ffw * e)
            + normInput(n);   // the relative bias is evaluated from its table: no (H, T, T) tensor is kept
        long cross = nd * inner * e + 2 * n * inner * e + 4 * Batch * heads * t * s;
        long decoderFeedForward = normInput(nd) + nd * ffw * e;
        long decoder = cross + decoderFeedForward
            + (c.NumDecoderLayers - 1) * (normInput(nd) + 3 * nd * inner * e + 4 * Batch * heads * t * t + normInput(nd) + cross + decoderFeedForward)
            + normInput(nd);
        long head = nd * c.VocabSize * e + 4 * nd;
        Assert.That(pass.SavedBytes, Is.EqualTo(encoder + decoder + head));
    }

    [Test]
    public void Generate_WithCache_MatchesRecomputingEveryPrefix()
    {
        var config = (T5Config)ModelConfig.Parse("""
            {"model_type": "t5", "vocab_size": 40, "d_model": 24, "d_kv": 6, "d_ff": 40, "num_layers": 2, "num_decoder_layers": 3,
             "num_heads": 4, "relative_attention_num_buckets": 8, "relative_attention_max_distance": 10, "feed_forward_proj": "gated-gelu",
             "tie_word_embeddings": false, "dropout_rate": 0.1}
            """, "generation-test");
        using var model = new T5Model(_cpu, T5Weights.CreateRandom(_cpu, config, DType.F32, (ulong)TestContext.CurrentContext.Random.NextInt64()));
        const int batch = 3, length = 7, steps = 12;
        using var ids = ModelTestData.Ints(_cpu, ModelTestData.TokenIds(batch * length, 2, 40), batch, length);
        using var mask = ModelTestData.Ints(_cpu, ModelTestData.Mask(length, 7, 4, 2), batch, length);
        using var embeds = model.EmbedTokens(ids);

        int[,] generated = model.Generate(embeds, mask, steps);

        int columns = generated.GetLength(1);
        Assert.That(columns, Is.InRange(2, steps + 1));
        int compared = 0;
        for (int t = 1; t < columns; t++)
        {
            var prefix = new int[batch * t];
            for (int b = 0; b < batch; b++)
                for (int i = 0; i < t; i++) prefix[b * t + i] = generated[b, i];
            using var decoderIds = ModelTestData.Ints(_cpu, prefix, batch, t);
            using var logits = model.ComputeLogits(embeds, mask, decoderIds);
            float[] all = logits.ToFloatArray();
            for (int b = 0; b < batch; b++)
            {
                if (Enumerable.Range(1, t - 1).Any(i => generated[b, i] == config.EosTokenId))
                {
                    Assert.That(generated[b, t], Is.EqualTo(config.PadTokenId), $"row {b} ended; step {t} pads");
                    continue;
                }
                var row = all.AsSpan(((b * t) + t - 1) * config.VocabSize, config.VocabSize).ToArray();
                var order = row.Select((v, i) => (v, i)).OrderByDescending(p => p.v).ToArray();
                if (order[0].v - order[1].v < 1e-4) continue; // a near tie may round either way
                Assert.That(generated[b, t], Is.EqualTo(order[0].i), $"row {b}, step {t}");
                compared++;
            }
        }
        Assert.That(compared, Is.GreaterThan(batch));
    }

    private T5Targets Targets(T5Config config, bool ignoreOne)
    {
        int[] labels = ModelTestData.TokenIds(Batch * Target, 2, config.VocabSize);
        if (ignoreOne) labels[^1] = T5Targets.IgnoreIndex;
        return T5Targets.FromLabels(_cpu, config, labels, Batch, Target);
    }

    private static double HostCrossEntropy(float[] logits, T5Targets targets)
    {
        int[] labels = targets.Labels.ToInt32Array();
        int vocab = logits.Length / labels.Length;
        double sum = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] == T5Targets.IgnoreIndex) continue;
            var row = logits.AsSpan(i * vocab, vocab);
            double max = double.NegativeInfinity;
            foreach (float v in row) max = Math.Max(max, v);
            double z = 0;
            foreach (float v in row) z += Math.Exp(v - max);
            sum += max + Math.Log(z) - row[labels[i]];
        }
        return sum / targets.LabelCount;
    }
}
