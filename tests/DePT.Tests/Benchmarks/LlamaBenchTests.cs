using DePT.Backends.Cpu;
using DePT.Benchmarks.Gpu;
using DePT.Benchmarks.Plan;
using DePT.Benchmarks.Results;
using DePT.Models;
using DePT.Models.Llama;
using DePT.Tensors;

namespace DePT.Tests.Benchmarks;

/// <summary>
/// The harness's LLaMA rows: the shapes (published parameter counts, configs), the FLOP formula against the numbers
/// peft_baseline.py --plan prints for the same rows, the plan's refusal of dynamic padding for causal LMs, and the row
/// sequence run on the CPU backend with a tiny LLaMA shape.
/// </summary>
public class LlamaBenchTests
{
    private static readonly LlamaShape Tiny = new("llama-tiny", 16, 2, 4, 2, 24, 64, """{"rope_type": "default", "rope_theta": 10000.0}""");

    // Hugging Face's counts for meta-llama/Llama-2-7b-hf and Meta-Llama-3-8B.
    [TestCase("llama-2-7b", 6_738_415_616L)]
    [TestCase("llama-3-8b", 8_030_261_248L)]
    public void LlamaShapes_HaveThePublishedParameterCounts(string name, long parameters)
    {
        var shape = (LlamaShape)BenchShapes.Find(name);
        Assert.That(shape.ParameterCount, Is.EqualTo(parameters));
        LlamaConfig config = shape.ToConfig();
        Assert.That((config.HiddenSize, config.NumLayers, config.HeadDim), Is.EqualTo((4096, 32, 128)));
        Assert.That(config.NumKeyValueHeads, Is.EqualTo(name == "llama-2-7b" ? 32 : 8));
        Assert.That(config.Rope.Kind, Is.EqualTo(name == "llama-2-7b" ? RopeScalingKind.None : RopeScalingKind.Llama3));
    }

    // peft_baseline.py --plan --models llama-2-7b,llama-3-8b --batches 8 --input-len 512 --target-len 64 --methods pt,dept:64x32
    [TestCase("llama-2-7b", 100, 146.1075)]
    [TestCase("llama-2-7b", 64, 138.0510)]
    [TestCase("llama-3-8b", 100, 157.8027)]
    [TestCase("llama-3-8b", 64, 149.1664)]
    public void LlamaFlops_MatchThePyTorchBaselinesCount(string name, int promptLength, double teraflop)
    {
        var shape = (LlamaShape)BenchShapes.Find(name);
        double flops = FlopCounter.LlamaTrainingStep(shape, 8, promptLength + shape.InputLength + shape.TargetLength, shape.TargetLength);
        Assert.That(flops / 1e12, Is.EqualTo(teraflop).Within(5e-5));
    }

    [Test]
    public void DePT64x32_HasPTsBudgetPlusTheTargetRowsOfA()
    {
        var shape = BenchShapes.Find("llama-2-7b");
        Assert.That(new BenchCase(shape, BenchMethod.Parse("pt"), 8, false).TrainableParameters, Is.EqualTo(409_600));
        Assert.That(new BenchCase(shape, BenchMethod.Parse("dept:64:32"), 8, false).TrainableParameters, Is.EqualTo(64 * 4096 + 32 * (576 + 4096)));
    }

    [Test]
    public void PlansGiveLlamaShapesFullLengthRowsOnly()
    {
        var plan = BenchPlan.Full().With([BenchShapes.Find("llama-3-8b"), ModelShapes.Find("t5-small")], [8], [false, true], [BenchMethod.Pt]);
        Assert.That(plan.Cases.Where(c => c.Model.Name == "llama-3-8b").Select(c => c.DynamicPadding), Is.EqualTo(new[] { false }));
        Assert.That(plan.Cases.Where(c => c.Model.Name == "t5-small").Select(c => c.DynamicPadding), Is.EqualTo(new[] { false, true }));
    }

    [TestCase("frozen")]
    [TestCase("pt:6")]
    [TestCase("dept:4:3")]
    public void Row_RunsEveryStageOnTheCpu(string methodText)
    {
        var method = BenchMethod.Parse(methodText);
        var plan = new BenchPlan("test", [], WarmupSteps: 1, TimedSteps: 2, InferWarmup: 1, InferRuns: 1, TimeLimit: TimeSpan.FromMinutes(1));
        using var cpu = new CpuBackend();
        using var model = new LlamaModel(cpu, LlamaWeights.CreateRandom(cpu, Tiny.ToConfig(), DType.F32, (ulong)TestContext.CurrentContext.Random.NextUInt()));
        var logged = new List<string>();
        const int batch = 2;

        var row = new RowRunner(cpu, plan, logged.Add).Run(new BenchCase(Tiny, method, batch, DynamicPadding: false), model, freeBeforeWeights: null);

        Assert.Multiple(() =>
        {
            Assert.That(row.Error, Is.Null);
            Assert.That((row.InputLen, row.TargetLen), Is.EqualTo((512, 64)));
            Assert.That(row.TrainableParams, Is.EqualTo(method.TrainableParameters(16, 576)));
            Assert.That(row.Loss, Is.Positive, "a finite, positive cross-entropy");
            Assert.That(row.InferNewTokens, Is.EqualTo(64), "no stop token: every generation runs the target length");
            Assert.That(row.StepTflop, Is.EqualTo(FlopCounter.LlamaTrainingStep(Tiny, batch, method.PromptLength + 576, 64) / 1e12).Within(1e-9).Percent);
            Assert.That(row.TrainTokensPerS, Is.EqualTo(batch * (method.PromptLength + 576) / (row.TrainStepMs!.Value / 1e3)).Within(1e-9).Percent);
            Assert.That(logged, Is.Empty);
        });
    }
}
