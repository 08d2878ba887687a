using DePT.Backends;
using DePT.Backends.Cuda;
using DePT.Benchmarks.Plan;
using DePT.Benchmarks.Results;
using DePT.Models.Runtime;
using DePT.Models.T5;
using DePT.Tensors;

namespace DePT.Benchmarks.Gpu;

/// <summary>
/// Measures one row on a loaded model: the training step (prompt input → forward → backward → prompt-input backward →
/// AdamW; the frozen floor embeds the tokens and stops after the backward) timed with CUDA events, its pool peak and the
/// driver's free-memory drop; then inference (the serving input, with Δ precomputed for DePT, encoder and greedy
/// decoding of the target length) timed the same way. Written against <see cref="IBackend"/>: on the CPU backend the same
/// sequence runs (times from a stopwatch, no memory figures), which is how the tests check it without a GPU.
/// </summary>
internal sealed class RowRunner(IBackend backend, BenchPlan plan, Action<string> log)
{
    // Distinct batches cycled through the timed steps: one suffices when every row is full length.
    private const int DynamicBatchCount = 8;
    private const double GiB = 1024.0 * 1024 * 1024;

    private ulong _dropoutSeed = 20261129;

    /// <summary>
    /// Runs <paramref name="benchCase"/>; <paramref name="freeBeforeWeights"/> is the driver's free memory before the weights
    /// were made (null off CUDA).
    /// </summary>
    public BenchRow Run(BenchCase benchCase, T5Model model, long? freeBeforeWeights)
    {
        var method = benchCase.Method;
        int batch = benchCase.Batch, d = model.Config.ModelDim, s = BenchPlan.InputLength;
        using var prompt = method.HasPrompt ? new PromptTraining(backend, method, d, s, seed: 7) : null;
        var batches = TrainingBatch.CreateMany(backend, model.Config, benchCase.DynamicPadding ? DynamicBatchCount : 1, batch, method.PromptLength,
            s, BenchPlan.MinDynamicLength, benchCase.DynamicPadding, BenchPlan.TargetLength, seed: 11);
        try
        {
            float loss = float.NaN;
            void TrainingStep(TrainingBatch data, bool readLoss)
            {
                using var inputs = Input(model, prompt, prompt?.Parameters, data);
                using var pass = model.ForwardTraining(inputs, data.Mask, data.Targets, DropoutSettings.Training(++_dropoutSeed));
                using (var dInputs = pass.Backward())
                {
                    if (prompt is not null) backend.PromptInputBackward(prompt.Gradients, dInputs, prompt.Parameters, null);
                }
                prompt?.Optimizer.Step();
                if (readLoss) loss = pass.Loss;
            }

            for (int i = 0; i < plan.WarmupSteps; i++) TrainingStep(batches[i % batches.Count], readLoss: i == plan.WarmupSteps - 1);
            backend.Synchronize();
            if (!float.IsFinite(loss)) log($"  warning: the last warm-up loss is {loss}");

            using var timer = new StepTimer(backend);
            var times = new List<double>(plan.TimedSteps);
            long? peak = null;
            for (int i = 0; i < plan.TimedSteps; i++)
            {
                var m = timer.Measure(() => TrainingStep(batches[i % batches.Count], readLoss: false));
                times.Add(m.Milliseconds);
                if (m.PeakPoolBytes is long p) peak = Math.Max(peak ?? 0, p);
            }
            long? driverBytes = backend is CudaBackend cuda && freeBeforeWeights is long before ? before - cuda.CudaDevice.MemoryInfo().Free : null;
            var stats = StepStatistics.Of(times);

            var (inferMs, newTokens) = MeasureInference(model, prompt, batches, timer);

            var lengths = Enumerable.Range(0, plan.TimedSteps).Select(i => batches[i % batches.Count].Length).ToList();
            double stepTflop = FlopCounter.MeanTrainingStep(benchCase.Model, batch, method.PromptLength, lengths, BenchPlan.TargetLength) / 1e12;
            double seconds = stats.Median / 1e3;
            return new BenchRow
            {
                Model = benchCase.Model.Name, Method = method.Kind, PromptLen = method.PromptLength, Rank = method.Rank,
                TrainableParams = method.TrainableParameters(d, s), Batch = batch, InputLen = s, TargetLen = BenchPlan.TargetLength,
                DynamicPadding = benchCase.DynamicPadding,
                TrainStepMs = stats.Median, TrainStepMsP10 = stats.P10, TrainStepMsP90 = stats.P90, TimedSteps = stats.Count,
                PeakGib = peak / GiB, PeakGibDriver = driverBytes > 0 ? driverBytes / GiB : null,
                TrainTokensPerS = batch * (double)(method.PromptLength + s + BenchPlan.TargetLength) / seconds,
                StepTflop = stepTflop, AchievedTflops = stepTflop / seconds,
                InferMs = inferMs, InferSequencesPerS = batch / (inferMs / 1e3),
                MeanInputLen = benchCase.DynamicPadding ? lengths.Average() : null,
                InferNewTokens = newTokens, Loss = float.IsFinite(loss) ? loss : null,
            };
        }
        finally
        {
            foreach (var b in batches) b.Dispose();
        }
    }

    private (double Milliseconds, int NewTokens) MeasureInference(T5Model model, PromptTraining? prompt, List<TrainingBatch> batches, StepTimer timer)
    {
        var serving = prompt?.Serving();
        int newTokens = 0;
        void Generate(TrainingBatch data)
        {
            using var inputs = Input(model, prompt, serving, data);
            newTokens = model.Generate(inputs, data.Mask, BenchPlan.TargetLength).GetLength(1) - 1;
        }

        for (int i = 0; i < plan.InferWarmup; i++) Generate(batches[i % batches.Count]);
        var times = new List<double>(plan.InferRuns);
        for (int i = 0; i < plan.InferRuns; i++) times.Add(timer.Measure(() => Generate(batches[i % batches.Count])).Milliseconds);
        return (StepStatistics.Of(times).Median, newTokens);
    }

    /// <summary>The encoder input: the prompt input op (P, then Emb[ids] + Δ rows) or, for the frozen floor, the plain embedding.</summary>
    private Tensor Input(T5Model model, PromptTraining? prompt, PromptParameters? parameters, TrainingBatch data)
    {
        if (prompt is null || parameters is not { } p) return model.EmbedTokens(data.TokenIds);
        var inputs = backend.Allocate(model.DType, data.TokenIds.Dim(0), prompt.Method.PromptLength + data.Length, model.Config.ModelDim);
        try
        {
            backend.PromptInputForward(inputs, data.TokenIds, model.Embeddings, p, null, 1f);
            return inputs;
        }
        catch
        {
            inputs.Dispose();
            throw;
        }
    }
}
