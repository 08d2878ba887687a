using DePT.Backends;
using DePT.Backends.Cuda;
using DePT.Benchmarks.Plan;
using DePT.Benchmarks.Results;
using DePT.Models.Llama;
using DePT.Models.Runtime;
using DePT.Models.T5;
using DePT.Tensors;

namespace DePT.Benchmarks.Gpu;

/// <summary>
/// Measures one row on a loaded model: the training step (prompt input → forward → backward → prompt-input backward →
/// AdamW; the frozen floor embeds the tokens and stops after the backward) timed with CUDA events, its pool peak and the
/// driver's free-memory drop; then inference (the serving input, with Δ precomputed for DePT, and greedy decoding of the
/// target length with the KV cache: T5 encoder + decoder, or a causal LM continuing its source) timed the same way.
/// Written against <see cref="IBackend"/>: on the CPU backend the same sequence runs (times from a stopwatch, no memory
/// figures), which is how the tests check it without a GPU.
/// </summary>
internal sealed class RowRunner(IBackend backend, BenchPlan plan, Action<string> log)
{
    // Distinct batches cycled through the timed steps: one suffices when every row is full length.
    private const int DynamicBatchCount = 8;
    private const double GiB = 1024.0 * 1024 * 1024;

    private ulong _dropoutSeed = 20261129;

    /// <summary>A T5 row; <paramref name="freeBeforeWeights"/> is the driver's free memory before the weights were made (null off CUDA).</summary>
    public BenchRow Run(BenchCase benchCase, T5Model model, long? freeBeforeWeights)
    {
        var shape = (ModelShape)benchCase.Model;
        var method = benchCase.Method;
        int batch = benchCase.Batch, d = model.Config.ModelDim, s = shape.InputLength;
        using var prompt = method.HasPrompt ? new PromptTraining(backend, method, d, shape.LowRankRows, seed: 7) : null;
        var batches = TrainingBatch.CreateMany(backend, model.Config, benchCase.DynamicPadding ? DynamicBatchCount : 1, batch, method.PromptLength,
            s, BenchPlan.MinDynamicLength, benchCase.DynamicPadding, shape.TargetLength, seed: 11);
        PromptParameters? serving = null;   // Δ is made after training, as a served prompt's would be
        try
        {
            float TrainingStep(int index, bool readLoss)
            {
                var data = batches[index % batches.Count];
                using var inputs = Input(data.TokenIds, model.Embeddings, model.DType, d, prompt, prompt?.Parameters, null, () => model.EmbedTokens(data.TokenIds));
                using var pass = model.ForwardTraining(inputs, data.Mask, data.Targets, DropoutSettings.Training(++_dropoutSeed));
                using (var dInputs = pass.Backward())
                {
                    if (prompt is not null) backend.PromptInputBackward(prompt.Gradients, dInputs, prompt.Parameters, null);
                }
                prompt?.Optimizer.Step();
                return readLoss ? pass.Loss : float.NaN;
            }

            int Generate(int index)
            {
                var data = batches[index % batches.Count];
                serving ??= prompt?.Serving();
                using var inputs = Input(data.TokenIds, model.Embeddings, model.DType, d, prompt, serving, null, () => model.EmbedTokens(data.TokenIds));
                return model.Generate(inputs, data.Mask, shape.TargetLength).GetLength(1) - 1;
            }

            var lengths = Enumerable.Range(0, plan.TimedSteps).Select(i => batches[i % batches.Count].Length).ToList();
            double stepFlops = FlopCounter.MeanTrainingStep(shape, batch, method.PromptLength, lengths, shape.TargetLength);
            double? meanLength = benchCase.DynamicPadding ? lengths.Average() : null;
            return Measure(benchCase, TrainingStep, Generate, stepFlops, meanLength, freeBeforeWeights);
        }
        finally
        {
            foreach (var b in batches) b.Dispose();
        }
    }

    /// <summary>
    /// A LLaMA row: a causal LM reading s source tokens then t target tokens (labels on the target), the prompt first;
    /// inference continues the source by t tokens.
    /// </summary>
    public BenchRow Run(BenchCase benchCase, LlamaModel model, long? freeBeforeWeights)
    {
        var shape = (LlamaShape)benchCase.Model;
        if (benchCase.DynamicPadding) throw new ArgumentException($"{shape.Name}: LLaMA rows are full length; dynamic padding is not measured.", nameof(benchCase));
        var method = benchCase.Method;
        int batch = benchCase.Batch, d = model.Config.HiddenSize;
        using var prompt = method.HasPrompt ? new PromptTraining(backend, method, d, shape.LowRankRows, seed: 7) : null;
        using var data = CausalLmTrainingBatch.Create(backend, shape, batch, method.PromptLength, seed: 11);
        PromptParameters? serving = null;
        var generation = new GenerationOptions(shape.TargetLength, StopTokenIds: []);

        float TrainingStep(int index, bool readLoss)
        {
            using var inputs = Input(data.SequenceIds, model.Embeddings, model.DType, d, prompt, prompt?.Parameters, data.Training.RowOffsets,
                () => model.EmbedTokens(data.SequenceIds));
            using var pass = model.ForwardTraining(inputs, data.Training);
            using (var dInputs = pass.Backward())
            {
                if (prompt is not null) backend.PromptInputBackward(prompt.Gradients, dInputs, prompt.Parameters, null, data.Training.RowOffsets);
            }
            prompt?.Optimizer.Step();
            return readLoss ? pass.Loss : float.NaN;
        }

        int Generate(int index)
        {
            serving ??= prompt?.Serving();
            using var inputs = Input(data.SourceIds, model.Embeddings, model.DType, d, prompt, serving, data.Generation.RowOffsets,
                () => model.EmbedTokens(data.SourceIds));
            return model.Generate(inputs, data.Generation, generation).GetLength(1);
        }

        double stepFlops = FlopCounter.LlamaTrainingStep(shape, batch, method.PromptLength + shape.InputLength + shape.TargetLength, shape.TargetLength);
        return Measure(benchCase, TrainingStep, Generate, stepFlops, meanInputLength: null, freeBeforeWeights);
    }

    /// <summary>
    /// The measurement every family shares: warm-up steps (the last one's loss is read), timed steps with their pool peak,
    /// the driver's free-memory drop, then warm-up and timed generations; <paramref name="step"/> and
    /// <paramref name="generate"/> take the step's index (to cycle batches) and return the loss (when asked) and the new tokens.
    /// </summary>
    private BenchRow Measure(BenchCase benchCase, Func<int, bool, float> step, Func<int, int> generate, double stepFlops, double? meanInputLength,
        long? freeBeforeWeights)
    {
        var method = benchCase.Method;
        var shape = benchCase.Model;
        int batch = benchCase.Batch;
        float loss = float.NaN;
        for (int i = 0; i < plan.WarmupSteps; i++) loss = step(i, i == plan.WarmupSteps - 1);
        backend.Synchronize();
        if (!float.IsFinite(loss)) log($"  warning: the last warm-up loss is {loss}");

        using var timer = new StepTimer(backend);
        var times = new List<double>(plan.TimedSteps);
        long? peak = null;
        for (int i = 0; i < plan.TimedSteps; i++)
        {
            int index = i;
            var m = timer.Measure(() => step(index, false));
            times.Add(m.Milliseconds);
            if (m.PeakPoolBytes is long p) peak = Math.Max(peak ?? 0, p);
        }
        long? driverBytes = backend is CudaBackend cuda && freeBeforeWeights is long before ? before - cuda.CudaDevice.MemoryInfo().Free : null;
        var stats = StepStatistics.Of(times);

        int newTokens = 0;
        for (int i = 0; i < plan.InferWarmup; i++) newTokens = generate(i);
        var inferTimes = new List<double>(plan.InferRuns);
        for (int i = 0; i < plan.InferRuns; i++)
        {
            int index = i;
            inferTimes.Add(timer.Measure(() => newTokens = generate(index)).Milliseconds);
        }
        double inferMs = StepStatistics.Of(inferTimes).Median;

        double stepTflop = stepFlops / 1e12, seconds = stats.Median / 1e3;
        return new BenchRow
        {
            Model = shape.Name, Method = method.Kind, PromptLen = method.PromptLength, Rank = method.Rank,
            TrainableParams = benchCase.TrainableParameters, Batch = batch, InputLen = shape.InputLength, TargetLen = shape.TargetLength,
            DynamicPadding = benchCase.DynamicPadding,
            TrainStepMs = stats.Median, TrainStepMsP10 = stats.P10, TrainStepMsP90 = stats.P90, TimedSteps = stats.Count,
            PeakGib = peak / GiB, PeakGibDriver = driverBytes > 0 ? driverBytes / GiB : null,
            TrainTokensPerS = batch * (double)(method.PromptLength + shape.InputLength + shape.TargetLength) / seconds,
            StepTflop = stepTflop, AchievedTflops = stepTflop / seconds,
            InferMs = inferMs, InferSequencesPerS = batch / (inferMs / 1e3),
            MeanInputLen = meanInputLength,
            InferNewTokens = newTokens, Loss = float.IsFinite(loss) ? loss : null,
        };
    }

    /// <summary>The model input: the prompt input op (P, then Emb[ids] + Δ rows, with the batch's row offsets) or, for the frozen floor, the plain embedding.</summary>
    private Tensor Input(Tensor tokenIds, Tensor embeddings, DType dtype, int d, PromptTraining? prompt, PromptParameters? parameters, Tensor? rowOffsets,
        Func<Tensor> plain)
    {
        if (prompt is null || parameters is not { } p) return plain();
        var inputs = backend.Allocate(dtype, tokenIds.Dim(0), prompt.Method.PromptLength + tokenIds.Dim(1), d);
        try
        {
            backend.PromptInputForward(inputs, tokenIds, embeddings, p, null, 1f, rowOffsets);
            return inputs;
        }
        catch
        {
            inputs.Dispose();
            throw;
        }
    }
}
