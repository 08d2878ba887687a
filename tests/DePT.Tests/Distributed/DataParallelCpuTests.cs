using DePT.Backends.Cpu;
using DePT.Distributed;
using DePT.Tests.IO;
using DePT.Training;

namespace DePT.Tests.Distributed;

/// <summary>
/// <see cref="DataParallelTask"/> over CPU replicas joined by <see cref="HostCollective"/>, against one task on the whole
/// batch (dropout off): the same loss at every step and the same parameters after, whatever the shard sizes.
/// </summary>
public class DataParallelCpuTests
{
    private const int Steps = 6;

    [TestCase(RigKind.BertClassification, 2, 7)]
    [TestCase(RigKind.T5TextToText, 2, 7)]
    [TestCase(RigKind.BertClassification, 3, 8)]
    [TestCase(RigKind.T5TextToText, 3, 2)]   // the third rank gets no rows
    public void ReplicasFollowTheSingleTaskOnTheWholeBatch(RigKind kind, int ranks, int batchSize)
    {
        var examples = DataParallelRig.Examples(Steps * 8, seed: 5);
        using var single = new DataParallelRig(kind, new CpuBackend(), initSeed: 7);
        var replicas = Enumerable.Range(0, ranks).Select(r => new DataParallelRig(kind, new CpuBackend(), initSeed: 7 + 100UL * (ulong)r)).ToList();
        try
        {
            using var collective = new HostCollective(ranks);
            var parallel = new DataParallelTask([.. replicas.Select(r => r.Task)], collective);
            Assert.That(replicas[1].Values(), Is.EqualTo(single.Values()), "rank 1 was drawn from another seed and takes rank 0's values");

            for (int step = 0; step < Steps; step++)
            {
                int[] rows = [.. Enumerable.Range(step * batchSize, batchSize)];
                float expected = Step(single.Task, examples, rows);
                float actual = Step(parallel, examples, rows);
                Assert.That(actual, Is.EqualTo(expected).Within(1e-3).Percent, $"loss (relative 1e-5) of step {step + 1}");
            }

            float[] reference = single.Values();
            foreach (var replica in replicas)
                Assert.That(replica.Values(), Is.EqualTo(reference).Within(1e-5f), "every replica ends where the single task does");
            Assert.That(parallel.Optimizer.StepCount, Is.EqualTo(Steps));
        }
        finally
        {
            foreach (var replica in replicas) replica.Dispose();
        }
    }

    [Test]
    public void WithDropout_ShardsDrawOtherMasks_SoTheCurvesAgreeOnlyStatistically()
    {
        var examples = DataParallelRig.Examples(Steps * 8, seed: 5);
        using var single = new DataParallelRig(RigKind.BertClassification, new CpuBackend(), initSeed: 7, bertDropout: true);
        using var a = new DataParallelRig(RigKind.BertClassification, new CpuBackend(), initSeed: 7, bertDropout: true);
        using var b = new DataParallelRig(RigKind.BertClassification, new CpuBackend(), initSeed: 7, bertDropout: true);
        using var collective = new HostCollective(2);
        var parallel = new DataParallelTask([a.Task, b.Task], collective);

        var one = new float[Steps];
        var two = new float[Steps];
        for (int step = 0; step < Steps; step++)
        {
            int[] rows = [.. Enumerable.Range(step * 8, 8)];
            one[step] = Step(single.Task, examples, rows);
            two[step] = Step(parallel, examples, rows);
        }
        TestContext.Out.WriteLine($"1 replica:  {string.Join(" ", one.Select(l => l.ToString("F4")))}");
        TestContext.Out.WriteLine($"2 replicas: {string.Join(" ", two.Select(l => l.ToString("F4")))}");

        // step 1 starts from the same parameters: only the masks differ (a row's mask depends on its index in the tensor
        // it is drawn over, and a shard's tensors hold fewer rows); after that the runs take different paths down
        Assert.That(Math.Abs(two[0] - one[0]) / one[0], Is.GreaterThan(1e-4).And.LessThan(0.02));
        Assert.That(one[^1], Is.LessThan(one[0]));
        Assert.That(two[^1], Is.LessThan(two[0]));
    }

    [Test]
    public void T5Shards_AreWeightedByTargetTokens_NotRows()
    {
        using var rig = new DataParallelRig(RigKind.T5TextToText, new CpuBackend(), initSeed: 3);
        var batch = rig.Task.Encode(DataParallelRig.Examples(6, seed: 9), [0, 1, 2, 3, 4, 5]);
        int tokens = 0;
        foreach (int m in batch.Targets!.AttentionMask) tokens += m;

        Assert.That(rig.Task.LossTermCount(batch), Is.EqualTo(tokens));
        Assert.That(tokens, Is.Not.EqualTo(6 * batch.Targets.SequenceLength), "the rows' targets differ in length, so padding is excluded");
    }

    [Test]
    public void Checkpoints_AreWrittenFromRankZero_AndLoadIntoEveryRank()
    {
        var examples = DataParallelRig.Examples(8, seed: 1);
        using var a = new DataParallelRig(RigKind.BertClassification, new CpuBackend(), initSeed: 1);
        using var b = new DataParallelRig(RigKind.BertClassification, new CpuBackend(), initSeed: 1);
        using var other = new DataParallelRig(RigKind.BertClassification, new CpuBackend(), initSeed: 2);
        using var collective = new HostCollective(2);
        var parallel = new DataParallelTask([a.Task, b.Task], collective);
        Step(parallel, examples, [0, 1, 2, 3, 4]);
        using var folder = new TemporaryFolder();

        other.Task.SaveParameters(folder.Path);
        parallel.LoadParameters(folder.Path);

        Assert.That(a.Values(), Is.EqualTo(other.Values()));
        Assert.That(b.Values(), Is.EqualTo(other.Values()));
    }

    [Test]
    public void Trainer_OverReplicas_FollowsTheSingleTask_AndResumesIntoEveryRank()
    {
        var train = DataParallelRig.Examples(40, seed: 11);
        var validation = DataParallelRig.Examples(6, seed: 12);
        using var folder = new TemporaryFolder();
        TrainerOptions Options(string run, int steps) => new(steps, BatchSize: 5, Path.Combine(folder.Path, run), EvaluateEvery: 2);
        using var single = new DataParallelRig(RigKind.BertClassification, new CpuBackend(), initSeed: 7);
        DePT.Training.Trainer.Run(single.Task, train, validation, Options("single", 4));

        float[][] Parallel(int steps, bool resume, ulong initSeed)
        {
            using var a = new DataParallelRig(RigKind.BertClassification, new CpuBackend(), initSeed);
            using var b = new DataParallelRig(RigKind.BertClassification, new CpuBackend(), initSeed + 1);
            using var collective = new HostCollective(2);
            var result = DePT.Training.Trainer.Run(new DataParallelTask([a.Task, b.Task], collective), train, validation, Options("parallel", steps), resume);
            Assert.That(result.Outcome, Is.EqualTo(TrainingOutcome.Completed));
            return [a.Values(), b.Values()];
        }
        Parallel(steps: 2, resume: false, initSeed: 7);
        var resumed = Parallel(steps: 4, resume: true, initSeed: 30);   // fresh replicas: the checkpoint and moments reach both

        Assert.That(resumed[0], Is.EqualTo(single.Values()).Within(1e-5f));
        Assert.That(resumed[1], Is.EqualTo(resumed[0]));
    }

    [Test]
    public void Construction_RefusesRanksThatDoNotMatch()
    {
        using var bert = new DataParallelRig(RigKind.BertClassification, new CpuBackend(), initSeed: 1);
        using var t5 = new DataParallelRig(RigKind.T5TextToText, new CpuBackend(), initSeed: 1);
        using var two = new HostCollective(2);
        using var three = new HostCollective(3);

        Assert.That(() => new DataParallelTask([bert.Task, t5.Task], two), Throws.ArgumentException.With.Message.Contains("rank 1 trains"));
        Assert.That(() => new DataParallelTask([bert.Task, bert.Task], three), Throws.ArgumentException.With.Message.Contains("collective of 3 ranks"));
        Assert.That(() => new DataParallelTask([], new HostCollective(1)), Throws.ArgumentException);
    }

    private static float Step(ITrainingTask task, IReadOnlyList<DePT.Data.Example> examples, int[] rows)
    {
        float loss = task.AccumulateGradients(task.Encode(examples, rows));
        task.Optimizer.Step();
        return loss;
    }
}
