using DePT.Backends.Cpu;
using DePT.Checkpoints;
using DePT.IO;
using DePT.Prompts;
using DePT.Tests.Ops;
using DePT.Training;

namespace DePT.Tests.Checkpoints;

/// <summary>
/// Training state: a run saved after two steps and resumed into a fresh optimiser takes the same third step as the
/// uninterrupted run; the position fields round-trip; a newer version, a bad permutation and a failed write are handled.
/// </summary>
public class TrainingStateTests
{
    private readonly CpuBackend _cpu = new();
    private readonly AdamWSettings _settings = new(WarmupSteps: 1, TotalSteps: 10);
    private Random _rng = new(0);
    private string _folder = "";

    [SetUp]
    public void SetUp()
    {
        _rng = OpTest.NewRandom();
        _folder = Directory.CreateTempSubdirectory("dept-state-").FullName;
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_folder, recursive: true);

    private void RandomGradients(DecomposedPrompt prompt)
    {
        prompt.PromptGradient.CopyFrom(OpTest.Values(_rng, prompt.PromptGradient.Length));
        prompt.LowRankAGradient.CopyFrom(OpTest.Values(_rng, prompt.LowRankAGradient.Length));
        prompt.LowRankBGradient.CopyFrom(OpTest.Values(_rng, prompt.LowRankBGradient.Length));
    }

    private int[] Permutation(int n) => Enumerable.Range(0, n).OrderBy(_ => _rng.Next()).ToArray();

    [Test]
    public void AResumedRunTakesTheSameStep()
    {
        using var prompt = new DecomposedPrompt(_cpu, 3, 5, 7, 2, (ulong)_rng.NextInt64());
        prompt.InitializeRandom((ulong)_rng.NextInt64());
        using var optimizer = new AdamW(_cpu, prompt.OptimizerGroups(_settings), _settings);
        for (int i = 0; i < 2; i++)
        {
            RandomGradients(prompt);
            optimizer.Step();
        }
        int[] order = Permutation(17);
        double best = _rng.NextDouble();
        ulong seed = (ulong)_rng.NextInt64(), counter = (ulong)_rng.NextInt64();
        string path = Path.Combine(_folder, "state.safetensors");
        TrainingState.Capture(_cpu, optimizer, order, 9, 2, seed, counter, best).Save(path);

        var loaded = TrainingState.Load(path);
        Assert.That((loaded.Step, loaded.DataCursor, loaded.DataEpoch, loaded.RngSeed, loaded.RngCounter, loaded.BestMetric), Is.EqualTo((2, 9, 2, seed, counter, (double?)best)));
        Assert.That(loaded.DataOrder, Is.EqualTo(order));

        using var resumed = new DecomposedPrompt(_cpu, 3, 5, 7, 2, 0);
        resumed.Prompt.CopyFrom(prompt.Prompt.ToFloatArray());
        resumed.LowRankA.CopyFrom(prompt.LowRankA.ToFloatArray());
        resumed.LowRankB.CopyFrom(prompt.LowRankB.ToFloatArray());
        using var resumedOptimizer = new AdamW(_cpu, resumed.OptimizerGroups(_settings), _settings);
        loaded.Restore(resumedOptimizer);
        Assert.That(resumedOptimizer.StepCount, Is.EqualTo(2));

        RandomGradients(prompt);
        resumed.PromptGradient.CopyFrom(prompt.PromptGradient.ToFloatArray());
        resumed.LowRankAGradient.CopyFrom(prompt.LowRankAGradient.ToFloatArray());
        resumed.LowRankBGradient.CopyFrom(prompt.LowRankBGradient.ToFloatArray());
        optimizer.Step();
        resumedOptimizer.Step();
        Assert.That(resumed.Prompt.ToFloatArray(), Is.EqualTo(prompt.Prompt.ToFloatArray()));
        Assert.That(resumed.LowRankA.ToFloatArray(), Is.EqualTo(prompt.LowRankA.ToFloatArray()));
        Assert.That(resumed.LowRankB.ToFloatArray(), Is.EqualTo(prompt.LowRankB.ToFloatArray()));
        Assert.That(resumed.LowRankB.ToFloatArray(), Has.Some.Not.EqualTo(0f), "the steps moved B");
    }

    [Test]
    public void NoBestMetricRoundTrips()
    {
        var state = new TrainingState(0, [new OptimizerMoments("p", [2, 3], OpTest.Values(_rng, 6), OpTest.Values(_rng, 6))], Permutation(4), 0, 0, 1, 0, null);
        string path = Path.Combine(_folder, "s.safetensors");
        state.Save(path);
        var loaded = TrainingState.Load(path);
        Assert.That(loaded.BestMetric, Is.Null);
        Assert.That(loaded.Moments.Single().FirstMoment, Is.EqualTo(state.Moments[0].FirstMoment));
        Assert.That(loaded.Moments.Single().Shape, Is.EqualTo(new[] { 2, 3 }));
    }

    [Test]
    public void NewerVersionIsRefused()
    {
        string path = Path.Combine(_folder, "s.safetensors");
        new TrainingState(1, [], Permutation(3), 1, 0, 1, 1, 0.5).Save(path);
        using (var file = SafetensorsFile.Open(path))
        {
            var metadata = file.Metadata.ToDictionary();
            metadata["format_version"] = (TrainingState.FormatVersion + 1).ToString();
            SafetensorsWriter.Write(path + ".new", [SafetensorsTensor.Int32(TrainingState.DataOrderName, file.ReadInt32(TrainingState.DataOrderName), 3)], metadata);
        }
        Assert.That(() => TrainingState.Load(path + ".new"),
            Throws.TypeOf<CheckpointFormatException>().With.Message.Contains($"format_version is {TrainingState.FormatVersion + 1}"));
    }

    [Test]
    public void BadPositionsAndMismatchedOptimisersAreRefused()
    {
        Assert.That(() => new TrainingState(0, [], [0, 2, 2], 0, 0, 0, 0, null).Save(Path.Combine(_folder, "x.safetensors")),
            Throws.ArgumentException.With.Message.Contains("not a permutation"));
        Assert.That(() => new TrainingState(0, [], [1, 0], 3, 0, 0, 0, null).Save(Path.Combine(_folder, "x.safetensors")),
            Throws.ArgumentException.With.Message.Contains("cursor 3"));
        using var prompt = new DecomposedPrompt(_cpu, 3, 5, 7, 2, 1);
        using var optimizer = new AdamW(_cpu, prompt.OptimizerGroups(_settings), _settings);
        var state = new TrainingState(0, [new OptimizerMoments("prompt_embeddings", [1, 3, 5], new float[15], new float[15])], [0], 0, 0, 0, 0, null);
        Assert.That(() => state.Restore(optimizer), Throws.ArgumentException.With.Message.Contains("prompt_encoder.lora_embedding_A"));
    }

    [Test]
    public void AFailedSaveLeavesTheOldFile()
    {
        string path = Path.Combine(_folder, "s.safetensors");
        new TrainingState(1, [], Permutation(5), 2, 1, 3, 4, 0.25).Save(path);
        byte[] old = File.ReadAllBytes(path);
        Directory.CreateDirectory(path + SafetensorsWriter.TemporarySuffix);
        Assert.That(() => new TrainingState(2, [], Permutation(5), 3, 1, 3, 5, 0.5).Save(path), Throws.InstanceOf<IOException>().Or.InstanceOf<UnauthorizedAccessException>());
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(old));
        Assert.That(TrainingState.Load(path).Step, Is.EqualTo(1));
    }
}
