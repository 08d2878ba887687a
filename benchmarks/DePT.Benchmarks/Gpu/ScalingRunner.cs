using System.Diagnostics;
using DePT.Backends;
using DePT.Backends.Cuda;
using DePT.Benchmarks.Plan;
using DePT.Benchmarks.Results;
using DePT.Checkpoints;
using DePT.Data;
using DePT.Distributed;
using DePT.Models;
using DePT.Models.T5;
using DePT.Prompts;
using DePT.Tensors;
using DePT.Tokenizers;
using DePT.Training;
using DePT.Training.TextToText;

namespace DePT.Benchmarks.Gpu;

/// <summary>
/// One point of the data-parallel scaling curve: the same global batch (every row s = 256 input tokens, 8 target tokens,
/// random ids) trained on 1 or N replicas of a T5 shape with random weights (the same seed on every device) and a PT or
/// DePT prompt. One replica is the plain <see cref="T5PromptTask"/>; several are a <see cref="DataParallelTask"/> joined by
/// the given collective. A step is AccumulateGradients (shards' forward and backward at once, the grouped all-reduce)
/// and the AdamW step on every rank, timed on the host from its start until every device is idle; the all-reduce of the
/// trainable gradients alone is timed the same way. Dropout 0.1 as in the harness's rows.
/// </summary>
internal sealed class ScalingRunner(ModelShape shape, BenchMethod method, int batch, DType dtype, int warmupSteps, int timedSteps)
{
    /// <summary>Timed all-reduces of the gradients per point.</summary>
    public const int AllReduceRuns = 20;

    /// <summary>Measures the step on <paramref name="backends"/> (one replica each); <paramref name="collective"/> joins them when there are several.</summary>
    public ScalingPoint Measure(IReadOnlyList<IBackend> backends, ICollective? collective)
    {
        if (!method.HasPrompt) throw new ArgumentException("the scaling run trains a prompt: choose pt or dept.", nameof(method));
        if (backends.Count > 1 && collective is null) throw new ArgumentException("several replicas need a collective.", nameof(collective));
        var config = shape.ToConfig();
        var replicas = new List<Replica>();
        try
        {
            foreach (var backend in backends) replicas.Add(new Replica(backend, config, method, dtype));
            ITrainingTask task = backends.Count == 1 ? replicas[0].Task : new DataParallelTask([.. replicas.Select(r => r.Task)], collective!);
            var data = Batch(config.VocabSize);
            float loss = float.NaN;
            void Step()
            {
                loss = task.AccumulateGradients(data);
                task.Optimizer.Step();
                foreach (var backend in backends) backend.Synchronize();
            }

            for (int i = 0; i < warmupSteps; i++) Step();
            foreach (var backend in backends) (backend as CudaBackend)?.CudaDevice.Pool.ResetPeak();
            var steps = Timed(timedSteps, Step);
            double? allReduce = collective is null ? null : StepStatistics.Of(Timed(AllReduceRuns, () =>
            {
                collective.AllReduceSum([.. replicas.Select(r => r.Gradients)]);
                foreach (var backend in backends) backend.Synchronize();
            })).Median;
            long? peak = backends.All(b => b is CudaBackend) ? backends.Max(b => ((CudaBackend)b).CudaDevice.Pool.PeakBytes) : null;
            return new ScalingPoint(backends.Count, batch, StepStatistics.Of(steps), allReduce, peak / (1024.0 * 1024 * 1024), loss,
                replicas[0].TrainableCount);
        }
        finally
        {
            foreach (var replica in replicas) replica.Dispose();
        }
    }

    private static List<double> Timed(int runs, Action action)
    {
        var times = new List<double>(runs);
        for (int i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return times;
    }

    private EncodedBatch Batch(int vocab)
    {
        var random = new Random(11);
        int[][] Rows(int length) => [.. Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, length).Select(_ => random.Next(2, vocab)).ToArray())];
        return new EncodedBatch(TokenBatch.RightPadded(Rows(BenchPlan.InputLength), 0), TokenBatch.RightPadded(Rows(BenchPlan.TargetLength), 0), null, 0, 0);
    }

    /// <summary>One device's model, prompt and task.</summary>
    private sealed class Replica : IDisposable
    {
        private readonly T5Model _model;
        private readonly SoftPrompt _prompt;
        private readonly T5PromptTask _task;

        public Replica(IBackend backend, T5Config config, BenchMethod method, DType dtype)
        {
            _model = new T5Model(backend, T5Weights.CreateRandom(backend, config, dtype, seed: 20261129));
            int d = config.ModelDim, s = BenchPlan.InputLength;
            _prompt = method.Rank == 0 ? new PromptTuning(backend, method.PromptLength, d) : new DecomposedPrompt(backend, method.PromptLength, d, s, method.Rank, lowRankSeed: 7);
            _prompt.InitializeRandom(seed: 8);
            var tokenizer = new IdsOnlyTokenizer();
            _task = new T5PromptTask(_model, _prompt, tokenizer, new ExampleBatcher(tokenizer, s, BenchPlan.TargetLength),
                new ModelIdentity("t5", d, config.VocabSize, config.NumLayers, "random"), new AdamWSettings(TotalSteps: 1000));
        }

        public ITrainingTask Task => _task;

        public IReadOnlyList<Tensor> Gradients => [.. ((AdamW)_task.Optimizer).Parameters.Select(p => p.Gradient)];

        public long TrainableCount => _prompt.TrainableParameterCount;

        public void Dispose()
        {
            _task.Dispose();
            _prompt.Dispose();
            _model.Dispose();
        }
    }

    /// <summary>The benchmark hands the task token ids; nothing asks it to tokenize or decode text.</summary>
    private sealed class IdsOnlyTokenizer : ITextTokenizer
    {
        public int PaddingTokenId => 0;

        public int MinimumLength => 1;

        public int[] Encode(string text, int maxLength) => throw new NotSupportedException("the scaling benchmark feeds token ids.");

        public TokenBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength, bool padToMaxLength = false) => throw new NotSupportedException("the scaling benchmark feeds token ids.");

        public string Decode(ReadOnlySpan<int> ids) => throw new NotSupportedException("the scaling benchmark generates nothing.");
    }
}

/// <summary>One point of the scaling curve.</summary>
/// <param name="Gpus">Replicas (devices).</param>
/// <param name="GlobalBatch">Rows per step over all replicas.</param>
/// <param name="Step">Step time statistics, ms.</param>
/// <param name="AllReduceMs">The median all-reduce of every trainable gradient, ms (null with one replica).</param>
/// <param name="PeakGib">The largest device pool peak over the timed steps (null off CUDA).</param>
/// <param name="Loss">The last step's loss.</param>
/// <param name="TrainableParameters">Trainable values per replica.</param>
internal sealed record ScalingPoint(int Gpus, int GlobalBatch, StepStatistics Step, double? AllReduceMs, double? PeakGib, float Loss, long TrainableParameters);
