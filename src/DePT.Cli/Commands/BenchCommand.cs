using System.CommandLine;
using DePT.Cli.Training;
using DePT.Data;
using DePT.Diagnostics;
using DePT.Models;
using DePT.Models.Runtime;
using DePT.Prompts;
using DePT.Tokenizers;
using DePT.Training;

namespace DePT.Cli.Commands;

/// <summary>
/// <c>dept bench</c>: vanilla PT against DePT at the same parameter budget on the chosen model and device, side by side
/// in one process: median training-step time and peak device memory, and the DePT/PT ratios. Inputs are random token
/// ids of the full length s (and, for T5, targets of the full target length), so both methods see the same batches.
/// The GPU harness in benchmarks/ adds PyTorch + PEFT and several models; this is the quick check on any machine.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = SharedOptions.Model();
        var device = SharedOptions.Device();
        var dtype = SharedOptions.DType();
        var batchSize = new Option<int>("--batch-size") { Description = "rows per step", DefaultValueFactory = _ => 8 };
        var maxLength = new Option<int?>("--max-length") { Description = "s: input length (default: 256 for T5, 128 for encoders)" };
        var targetLength = new Option<int>("--target-length") { Description = "target length (T5, causal LMs)", DefaultValueFactory = _ => 8 };
        var vanilla = new Option<int?>("--vanilla-length") { Description = "PT's L, and DePT's budget L·d (default: 100 for T5, 20 for encoders)" };
        var steps = new Option<int>("--steps") { Description = "timed steps per method", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps first", DefaultValueFactory = _ => 3 };
        var command = new Command("bench", "Time a training step of vanilla PT and of DePT at the same parameter budget on this model and device, and report time, peak memory and the DePT/PT ratios.")
        {
            model, device, dtype, batchSize, maxLength, targetLength, vanilla, steps, warmup,
        };
        command.SetAction(r => CommandRunner.Run("bench", () =>
        {
            var (backend, loaded) = SharedOptions.Open(r.GetValue(model)!, r.GetValue(device), r.GetValue(dtype));
            using var ownedBackend = backend;
            using var ownedModel = loaded;
            bool encoder = loaded.Encoder is not null;
            int s = r.GetValue(maxLength) ?? (encoder ? 128 : 256), length = r.GetValue(vanilla) ?? (encoder ? 20 : 100);
            int batch = r.GetValue(batchSize), timed = r.GetValue(steps), untimed = r.GetValue(warmup);
            if (batch < 1 || timed < 1 || untimed < 0) throw new ArgumentException("--batch-size and --steps must be at least 1, --warmup at least 0.");
            int rows = loaded.LowRankRows(s, r.GetValue(targetLength));
            var shape = PromptBudget.Decomposition(loaded.Dim, rows, length);
            var data = RandomBatch(loaded, batch, s, r.GetValue(targetLength));
            Console.WriteLine($"{loaded.Name} on {SharedOptions.Describe(backend)}: batch {batch}, s={s}; PT L={length} vs DePT m={shape.PromptLength}, r={shape.Rank} ({shape.ParameterCount:N0} vs {(long)length * loaded.Dim:N0} parameters)");
            var pt = Measure(loaded, new PromptTuning(backend, length, loaded.Dim), data, s, untimed, timed);
            var dept = Measure(loaded, new DecomposedPrompt(backend, shape.PromptLength, loaded.Dim, rows, shape.Rank, lowRankSeed: 1), data, s, untimed, timed);
            Console.WriteLine($"{"method",-22} {"step (median)",14} {"peak memory",14}");
            Console.WriteLine($"{$"PT L={length}",-22} {pt.Milliseconds,11:F2} ms {Memory(pt.PeakBytes),14}");
            Console.WriteLine($"{$"DePT m={shape.PromptLength} r={shape.Rank}",-22} {dept.Milliseconds,11:F2} ms {Memory(dept.PeakBytes),14}");
            Console.WriteLine($"DePT/PT: time {dept.Milliseconds / pt.Milliseconds:F3}" +
                              (pt.PeakBytes is long a && dept.PeakBytes is long b ? $", peak memory {(double)b / a:F3}" : " (memory is measured on CUDA only)"));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static string Memory(long? bytes) => bytes is long b ? ByteCount.Format(b) : "n/a (cpu)";

    private static (double Milliseconds, long? PeakBytes) Measure(PretrainedModel model, SoftPrompt prompt, EncodedBatch batch, int s, int untimed, int timed)
    {
        prompt.InitializeRandom(7);
        LabelSet? labels = model.Encoder is not null ? new LabelSet(["0", "1"]) : null;
        using var setup = TaskSetup.Create(model, prompt, labels, s, batch.Targets?.SequenceLength ?? 1,
            new AdamWSettings(WarmupSteps: 0, TotalSteps: untimed + timed), headLearningRate: 1e-3f, dropout: true, seed: 7);
        var task = setup.Task;
        void Step()
        {
            task.AccumulateGradients(batch);
            task.Optimizer.Step();
        }
        for (int i = 0; i < untimed; i++) Step();
        using var timer = new StepTimer(task.Backend);
        var times = new double[timed];
        long? peak = null;
        for (int i = 0; i < timed; i++)
        {
            var m = timer.Measure(Step);
            times[i] = m.Milliseconds;
            if (m.PeakPoolBytes is long p) peak = Math.Max(peak ?? 0, p);
        }
        Array.Sort(times);
        return (times[timed / 2], peak);
    }

    /// <summary>Random ids in the upper part of the vocabulary (clear of special tokens), full length, one batch for both methods.</summary>
    private static EncodedBatch RandomBatch(PretrainedModel model, int batch, int s, int targetLength)
    {
        var random = new Random(11);
        int vocabulary = model.Identity.VocabSize, low = Math.Min(1000, vocabulary / 2);
        int[][] Rows(int length) => Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, length).Select(_ => random.Next(low, vocabulary)).ToArray()).ToArray();
        var inputs = TokenBatch.RightPadded(Rows(s), model.Tokenizer.PaddingTokenId);
        return model.Encoder is not null
            ? new EncodedBatch(inputs, null, Enumerable.Range(0, batch).Select(i => i % 2).ToArray(), 0, 0)
            : new EncodedBatch(inputs, TokenBatch.RightPadded(Rows(targetLength), model.Tokenizer.PaddingTokenId), null, 0, 0);
    }
}
