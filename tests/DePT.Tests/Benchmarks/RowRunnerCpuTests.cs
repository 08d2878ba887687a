using DePT.Backends.Cpu;
using DePT.Benchmarks.Gpu;
using DePT.Benchmarks.Plan;
using DePT.Benchmarks.Results;
using DePT.Models.T5;
using DePT.Tensors;

namespace DePT.Tests.Benchmarks;

/// <summary>
/// The harness's row sequence (prompt input, training step with AdamW, serving input with Δ, greedy generation) on the CPU
/// backend with a tiny T5, so the GPU path's use of the runtime is exercised in CI.
/// </summary>
public class RowRunnerCpuTests
{
    private static readonly ModelShape Tiny = new("t5-tiny", 16, 1, 1, 2, 8, 32, "relu", 64);

    [TestCase("frozen", false)]
    [TestCase("pt:6", false)]
    [TestCase("dept:4:3", false)]
    [TestCase("dept:4:3", true)]
    public void Row_RunsEveryStageAndReportsConsistentFigures(string methodText, bool dynamic)
    {
        var method = BenchMethod.Parse(methodText);
        var plan = new BenchPlan("test", [], WarmupSteps: 2, TimedSteps: 3, InferWarmup: 1, InferRuns: 2, TimeLimit: TimeSpan.FromMinutes(1));
        using var cpu = new CpuBackend();
        using var model = new T5Model(cpu, T5Weights.CreateRandom(cpu, Tiny.ToConfig(), DType.F32, (ulong)TestContext.CurrentContext.Random.NextUInt()));
        var logged = new List<string>();
        const int batch = 2;

        var row = new RowRunner(cpu, plan, logged.Add).Run(new BenchCase(Tiny, method, batch, dynamic), model, freeBeforeWeights: null);

        Assert.Multiple(() =>
        {
            Assert.That(row.Error, Is.Null);
            Assert.That((row.Model, row.Method, row.PromptLen, row.Rank), Is.EqualTo((Tiny.Name, method.Kind, method.PromptLength, method.Rank)));
            Assert.That(row.TrainableParams, Is.EqualTo(method.TrainableParameters(Tiny.ModelDim, BenchPlan.InputLength)));
            Assert.That(row.TimedSteps, Is.EqualTo(3));
            Assert.That(row.TrainStepMsP10, Is.Positive.And.LessThanOrEqualTo(row.TrainStepMs!.Value));
            Assert.That(row.TrainStepMsP90, Is.GreaterThanOrEqualTo(row.TrainStepMs.Value));
            Assert.That(row.Loss, Is.Positive, "a finite, positive cross-entropy");
            Assert.That(row.InferNewTokens, Is.InRange(1, BenchPlan.TargetLength));
            Assert.That(row.InferSequencesPerS, Is.EqualTo(batch / (row.InferMs!.Value / 1e3)).Within(1e-9).Percent);
            Assert.That(row.TrainTokensPerS, Is.EqualTo(batch * (method.PromptLength + 256 + 8) / (row.TrainStepMs.Value / 1e3)).Within(1e-9).Percent);
            Assert.That(row.AchievedTflops, Is.EqualTo(row.StepTflop / (row.TrainStepMs.Value / 1e3)).Within(1e-9).Percent);
            Assert.That(row.PeakGib, Is.Null, "no pool on the CPU");
            Assert.That(row.PeakGibDriver, Is.Null);
            Assert.That(logged, Is.Empty, "no warning: the warm-up loss was finite");
            if (dynamic)
            {
                Assert.That(row.MeanInputLen, Is.InRange(BenchPlan.MinDynamicLength, BenchPlan.InputLength));
                Assert.That(row.StepTflop, Is.LessThanOrEqualTo(FlopCounter.TrainingStep(Tiny, batch, method.PromptLength + 256, 8) / 1e12));
            }
            else
            {
                Assert.That(row.MeanInputLen, Is.Null);
                Assert.That(row.StepTflop, Is.EqualTo(FlopCounter.TrainingStep(Tiny, batch, method.PromptLength + 256, 8) / 1e12).Within(1e-9).Percent);
            }
        });
    }

    [Test]
    public void TokenBatches_PadToTheLongestExampleAndMarkThePromptRows()
    {
        using var cpu = new CpuBackend();
        var config = Tiny.ToConfig();
        var batches = TrainingBatch.CreateMany(cpu, config, count: 4, batch: 3, promptLength: 5, maxLength: 40, minLength: 10, dynamic: true, targetLength: 4,
            seed: TestContext.CurrentContext.Random.Next());
        try
        {
            foreach (var b in batches)
            {
                int[] ids = b.TokenIds.ToInt32Array(), mask = b.Mask.ToInt32Array(), labels = b.Targets.Labels.ToInt32Array();
                int total = 5 + b.Length;
                Assert.Multiple(() =>
                {
                    Assert.That(b.Length, Is.InRange(10, 40));
                    Assert.That(b.TokenIds.Shape.ToArray(), Is.EqualTo(new[] { 3, b.Length }));
                    Assert.That(b.Mask.Shape.ToArray(), Is.EqualTo(new[] { 3, total }));
                    var lengths = Enumerable.Range(0, 3).Select(r => mask.Skip(r * total + 5).Take(b.Length).Sum()).ToArray();
                    Assert.That(lengths.Max(), Is.EqualTo(b.Length), "padded to the longest example");
                    for (int r = 0; r < 3; r++)
                    {
                        Assert.That(mask.Skip(r * total).Take(5), Has.All.EqualTo(1), "the prompt rows are attended");
                        for (int t = 0; t < b.Length; t++)
                        {
                            bool real = t < lengths[r];
                            Assert.That(mask[r * total + 5 + t], Is.EqualTo(real ? 1 : 0));
                            Assert.That(ids[r * b.Length + t], real ? Is.InRange(2, config.VocabSize - 1) : Is.EqualTo(config.PadTokenId));
                        }
                        Assert.That(labels[r * 4 + 3], Is.EqualTo(config.EosTokenId));
                    }
                });
            }
        }
        finally
        {
            foreach (var b in batches) b.Dispose();
        }
    }
}
