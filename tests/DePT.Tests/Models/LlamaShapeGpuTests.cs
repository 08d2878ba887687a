using DePT.Backends;
using DePT.Models;
using DePT.Models.Llama;
using DePT.Models.Runtime;
using DePT.Tensors;
using DePT.Tests.Support;
using DePT.Training;

namespace DePT.Tests.Models;

/// <summary>
/// The issue's measurement shapes on the device: Llama-2-7B and Llama-3-8B with random bf16 weights made on the GPU,
/// batch 8, 512 source tokens and a 64-token target (labels on the target only), PT with L = 100 against DePT with
/// m = 64, r = 32: 409,600 trainable parameters for PT and, since a causal LM reads the target tokens too and A needs a
/// row for each of the 576 positions, 411,648 for DePT (+0.5%; with s = 512 it would be exactly PT's). A full training step each
/// (PromptInputForward → forward → backward → PromptInputBackward → AdamW), timed with CUDA events (median of 3 after a
/// warm-up) with the pool's peak; the rows are printed, finite gradients and DePT's smaller footprint asserted.
/// </summary>
public class LlamaShapeGpuTests : GpuFixture
{
    private const int Batch = 8, Source = 512, Target = 64, MaxLength = Source + Target;

    private static readonly Dictionary<string, string> Shapes = new()
    {
        ["llama-2-7b"] = """
            {"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
             "num_attention_heads": 32, "num_key_value_heads": 32, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "max_position_embeddings": 4096}
            """,
        ["llama-3-8b"] = """
            {"model_type": "llama", "vocab_size": 128256, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
             "num_attention_heads": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-5, "max_position_embeddings": 8192,
             "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}
            """,
    };

    [TestCase("llama-2-7b")]
    [TestCase("llama-3-8b")]
    public void PtAndDePTSteps_AtTheSameBudget_AreMeasured(string shape)
    {
        var config = (LlamaConfig)ModelConfig.Parse(Shapes[shape], shape);
        using var model = new LlamaModel(Gpu, LlamaWeights.CreateRandom(Gpu, config, DType.BF16, seed: 20261129));
        var ids = ModelTestData.TokenIds(Batch * MaxLength, 3, config.VocabSize);
        var labels = ids.Select((id, i) => i % MaxLength >= Source ? id : CausalLmBatch.IgnoreIndex).ToArray();
        using var tokenIds = ModelTestData.Ints(Gpu, ids, Batch, MaxLength);
        var pt = Measure(model, tokenIds, labels, promptLength: 100, rank: 0);
        var dept = Measure(model, tokenIds, labels, promptLength: 64, rank: 32);
        foreach (var (name, row) in new[] { ("PT L=100", pt), ("DePT m=64 r=32", dept) })
            TestContext.Out.WriteLine($"{shape} bf16 B={Batch} s={Source} target={Target} {name}: step {row.Median.Milliseconds:F1} ms " +
                $"(3 timed: {string.Join(", ", row.Times.Select(t => $"{t:F1}"))}), peak {row.Median.PeakPoolBytes / (1024.0 * 1024 * 1024):F2} GiB, loss {row.Loss:F3}");
        TestContext.Out.WriteLine($"{shape}: DePT/PT time {dept.Median.Milliseconds / pt.Median.Milliseconds:F3}, memory {(double)dept.Median.PeakPoolBytes!.Value / pt.Median.PeakPoolBytes!.Value:F3}");
        Assert.Multiple(() =>
        {
            Assert.That(float.IsFinite(pt.Loss) && float.IsFinite(dept.Loss), "finite losses");
            Assert.That(pt.GradientsFinite && dept.GradientsFinite, "finite, nonzero prompt gradients");
            Assert.That(dept.Median.PeakPoolBytes, Is.LessThan(pt.Median.PeakPoolBytes), "36 fewer rows per example hold less");
        });
    }

    private sealed record Row(StepMeasurement Median, double[] Times, float Loss, bool GradientsFinite);

    private Row Measure(LlamaModel model, Tensor tokenIds, int[] labels, int promptLength, int rank)
    {
        var backend = Gpu;
        int d = model.Config.HiddenSize;
        using var batch = CausalLmBatch.Create(backend, Enumerable.Repeat(1, Batch * MaxLength).ToArray(), labels, Batch, MaxLength, model.Config.VocabSize, promptLength);
        using var owned = new OwnedTensors();
        var prompt = owned.Add(ModelTestData.Floats(backend, ModelTestData.Normal(promptLength * d, 0.02), 1, promptLength, d));
        var dPrompt = owned.Add(backend.Allocate(DType.F32, 1, promptLength, d));
        var groups = new List<ParameterGroup> { new("prompt", 3e-1f, [new TrainableTensor("prompt_embeddings", prompt, dPrompt)]) };
        PromptParameters parameters;
        PromptGradients gradients;
        if (rank > 0)
        {
            var a = owned.Add(ModelTestData.Floats(backend, ModelTestData.Normal(MaxLength * rank, 0.1), 1, MaxLength, rank));
            var b = owned.Add(ModelTestData.Floats(backend, ModelTestData.Normal(rank * d, 0.01), 1, rank, d));
            var dA = owned.Add(backend.Allocate(DType.F32, 1, MaxLength, rank));
            var dB = owned.Add(backend.Allocate(DType.F32, 1, rank, d));
            parameters = PromptParameters.Decomposed(prompt, a, b, 8f / MathF.Sqrt(rank));
            gradients = new PromptGradients(dPrompt, dA, dB);
            groups.Add(new ParameterGroup("low-rank", 1e-4f, [new TrainableTensor("lora_embedding_A", a, dA), new TrainableTensor("lora_embedding_B", b, dB)]));
        }
        else
        {
            parameters = PromptParameters.Vanilla(prompt);
            gradients = new PromptGradients(dPrompt);
        }
        using var optimizer = new AdamW(backend, groups, new AdamWSettings());
        optimizer.ZeroGradients();
        float loss = float.NaN;
        bool finite = true;

        void Step(bool check)
        {
            using var inputs = backend.Allocate(DType.BF16, Batch, promptLength + MaxLength, d);
            backend.PromptInputForward(inputs, tokenIds, model.Embeddings, parameters, null, 1f, batch.RowOffsets);
            using var pass = model.ForwardTraining(inputs, batch);
            using (var dInputs = pass.Backward())
                backend.PromptInputBackward(gradients, dInputs, parameters, null, batch.RowOffsets);
            if (check)
            {
                var values = dPrompt.ToFloatArray();
                finite = values.All(float.IsFinite) && values.Any(v => v != 0);
                loss = pass.Loss;
            }
            optimizer.Step();
        }

        Step(check: true);
        using var timer = new StepTimer(backend);
        var measurements = Enumerable.Range(0, 3).Select(_ => timer.Measure(() => Step(check: false))).OrderBy(m => m.Milliseconds).ToArray();
        return new Row(measurements[1], measurements.Select(m => m.Milliseconds).ToArray(), loss, finite);
    }
}
