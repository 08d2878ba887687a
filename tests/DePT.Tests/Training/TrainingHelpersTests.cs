using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Models.Runtime;
using DePT.Prompts;
using DePT.Tensors;
using DePT.Training;

namespace DePT.Tests.Training;

/// <summary>The small pieces the trainer leans on: per-step dropout seeds, the learning rates a step reports, and integer uploads.</summary>
public class TrainingHelpersTests
{
    private readonly CpuBackend _cpu = new();

    [Test]
    public void DropoutForStep_IsOn_Deterministic_AndDistinctPerStepAndSeed()
    {
        var seeds = new HashSet<ulong>();
        for (ulong run = 0; run < 4; run++)
        {
            for (int step = 0; step < 500; step++)
            {
                var settings = DropoutSettings.ForStep(run, step);
                Assert.That(settings.Enabled, Is.True);
                Assert.That(DropoutSettings.ForStep(run, step), Is.EqualTo(settings));
                Assert.That(seeds.Add(settings.Seed), Is.True, $"run seed {run}, step {step} repeats a seed");
            }
        }
        Assert.That(DropoutSettings.Off.Enabled, Is.False);
        // SplitMix64's finaliser of seed + golden·(step + 1): step 0 of seed 0 is SplitMix64's first output for state 0
        Assert.That(DropoutSettings.ForStep(0, 0).Seed, Is.EqualTo(0xE220A8397B1DCDAFUL));
    }

    [Test]
    public void GroupLearningRates_AreEachGroupsPeakRateTimesTheSchedule_InGroupOrder()
    {
        var settings = new AdamWSettings(PromptLearningRate: 0.3f, LowRankLearningRate: 1e-2f, WarmupSteps: 4, TotalSteps: 12);
        using var prompt = new DecomposedPrompt(_cpu, 2, 4, 5, 2, lowRankSeed: 1);
        using var optimizer = new AdamW(_cpu, prompt.OptimizerGroups(settings), settings);

        foreach (int step in new[] { 0, 2, 4, 8, 12, 20 })
        {
            float scale = optimizer.LearningRateScale(step);
            Assert.That(optimizer.GroupLearningRates(step), Is.EqualTo(new[] { (SoftPrompt.PromptGroupName, 0.3f * scale), (DecomposedPrompt.LowRankGroupName, 1e-2f * scale) }), $"step {step}");
        }
        Assert.That(optimizer.GroupLearningRates(2).Select(r => r.LearningRate), Is.EqualTo(new[] { 0.15f, 0.005f }).Within(1e-7), "half way through the warmup");
        Assert.That(optimizer.GroupLearningRates(12).Select(r => r.LearningRate), Is.All.EqualTo(0f), "the end of the decay");
    }

    [Test]
    public void GroupLearningRates_ListAGroupOnce_WhateverItsParameterCount()
    {
        var settings = new AdamWSettings(WarmupSteps: 0, TotalSteps: 10);
        using var a = _cpu.Allocate(DType.F32, 3);
        using var da = _cpu.Allocate(DType.F32, 3);
        using var b = _cpu.Allocate(DType.F32, 2);
        using var db = _cpu.Allocate(DType.F32, 2);
        using var c = _cpu.Allocate(DType.F32, 2);
        using var dc = _cpu.Allocate(DType.F32, 2);
        using var optimizer = new AdamW(_cpu, [
            new ParameterGroup("head", 0.5f, [new TrainableTensor("w", a, da), new TrainableTensor("b", b, db)]),
            new ParameterGroup("prompt", 0.1f, [new TrainableTensor("p", c, dc)]),
        ], settings);
        Assert.That(optimizer.GroupLearningRates(5), Is.EqualTo(new[] { ("head", 0.25f), ("prompt", 0.05f) }));
    }

    [Test]
    public void UploadInt32_HoldsTheValuesInTheShape()
    {
        int[] values = [3, -1, 7, 0, 12, 5];
        using var tensor = _cpu.UploadInt32(values, 2, 3);
        Assert.That((tensor.DType, tensor.Shape.ToArray()), Is.EqualTo((DType.I32, new[] { 2, 3 })));
        Assert.That(tensor.ToInt32Array(), Is.EqualTo(values));
        Assert.That(() => _cpu.UploadInt32(values, 4, 2), Throws.InstanceOf<ArgumentException>(), "8 elements for 6 values");
    }
}
