using System.CommandLine;
using System.Globalization;
using DePT.Benchmarks.Gpu;
using DePT.Benchmarks.Plan;
using DePT.Benchmarks.Results;

namespace DePT.Benchmarks;

/// <summary>The command line: the GPU run (root command), <c>merge</c> and <c>scaling</c>.</summary>
internal static class BenchCommands
{
    public static RootCommand CreateRoot()
    {
        var quick = new Option<bool>("--quick") { Description = "T5-Base and T5-Large at batch 32, padded to 256, frozen / PT / DePT (60, 30); 3 warm-up + 20 timed steps (about a minute)." };
        var output = new Option<string?>("--out") { Description = "Folder for dept.json, results.md, results.png (default: benchmarks/results/<UTC timestamp>)." };
        var models = new Option<string[]>("--models") { Description = $"Models to run, of: {string.Join(", ", BenchShapes.All.Select(m => m.Name))} (LLaMA shapes: causal LM, 512 source + 64 target tokens, full-length rows).", AllowMultipleArgumentsPerToken = true };
        var batches = new Option<int[]>("--batches") { Description = "Batch sizes (every model).", AllowMultipleArgumentsPerToken = true };
        var methods = new Option<string[]>("--methods") { Description = "Methods: frozen, pt, pt:L, dept (60, 30), dept:m:r.", AllowMultipleArgumentsPerToken = true };
        var padding = new Option<string?>("--padding") { Description = "off (every row 256 long), on (dynamic: lengths in [128, 256], padded to the batch's longest) or both." };
        var steps = new Option<int?>("--steps") { Description = "Timed training steps per row (quick 20, full 50)." };
        var warmup = new Option<int?>("--warmup") { Description = "Untimed warm-up steps per row (quick 3, full 5)." };
        var inferRuns = new Option<int?>("--infer-runs") { Description = "Timed generations per row (quick 10, full 20)." };
        var timeLimit = new Option<int?>("--time-limit") { Description = "Seconds after which no new row starts (quick 110, full 540); the watchdog ends the run 30 s later." };
        var pytorch = new Option<string?>("--pytorch") { Description = "A dept-bench/1 file of the PyTorch baseline to merge into results.md and results.png." };
        var commit = new Option<string?>("--commit") { Description = "The commit to record (default: the one the harness was built from)." };
        var device = new Option<int>("--device") { Description = "CUDA device ordinal.", DefaultValueFactory = _ => 0 };

        var root = new RootCommand("DePT benchmark harness (GPU): training-step and inference time and memory of DePT against vanilla prompt tuning " +
                                   "and the frozen model, on T5 and LLaMA shapes with random bf16 weights; writes dept.json (schema dept-bench/1), results.md and results.png. " +
                                   "Exit codes: 0 all rows measured, 1 some rows failed or were skipped (or a usage error), 2 no CUDA GPU, 3 stopped by the watchdog.");
        foreach (var option in new Option[] { quick, output, models, batches, methods, padding, steps, warmup, inferRuns, timeLimit, pytorch, commit, device })
            root.Options.Add(option);
        root.SetAction(result =>
        {
            BenchPlan plan;
            BenchRun? baseline;
            try
            {
                plan = (result.GetValue(quick) ? BenchPlan.Quick() : BenchPlan.Full()).With(
                    NullIfEmpty(result.GetValue(models))?.Select(BenchShapes.Find).ToList(),
                    NullIfEmpty(result.GetValue(batches))?.Select(b => b > 0 ? b : throw new ArgumentException($"--batches: {b} is not a positive batch size.")).ToList(),
                    ParsePadding(result.GetValue(padding)),
                    NullIfEmpty(result.GetValue(methods))?.Select(BenchMethod.Parse).ToList());
                plan = plan with
                {
                    TimedSteps = Positive(result.GetValue(steps), "--steps") ?? plan.TimedSteps,
                    WarmupSteps = Positive(result.GetValue(warmup), "--warmup") ?? plan.WarmupSteps,
                    InferRuns = Positive(result.GetValue(inferRuns), "--infer-runs") ?? plan.InferRuns,
                    TimeLimit = Positive(result.GetValue(timeLimit), "--time-limit") is int seconds ? TimeSpan.FromSeconds(seconds) : plan.TimeLimit,
                };
                baseline = result.GetValue(pytorch) is { } path ? BenchJson.Read(path) : null;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or IOException or InvalidDataException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            string folder = result.GetValue(output) ?? Path.Combine("benchmarks", "results",
                DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
            return new GpuHarness(plan, folder, result.GetValue(commit), baseline, result.GetValue(device)).Run();
        });
        root.Subcommands.Add(CreateMerge());
        root.Subcommands.Add(CreateAttention());
        root.Subcommands.Add(ScalingCommand.Create());
        return root;
    }

    private static Command CreateAttention()
    {
        var device = new Option<int>("--device") { Description = "CUDA device ordinal.", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch") { Description = "Examples.", DefaultValueFactory = _ => 32 };
        var heads = new Option<int>("--heads") { Description = "Heads.", DefaultValueFactory = _ => 12 };
        var headDim = new Option<int>("--head-dim") { Description = "Head width (32, 64 or 128 for the fused kernels).", DefaultValueFactory = _ => 64 };
        var lengths = new Option<int[]>("--lengths") { Description = "Sequence lengths.", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [316, 2048] };
        var runs = new Option<int>("--runs") { Description = "Timed runs per row.", DefaultValueFactory = _ => 20 };
        var output = new Option<string?>("--out") { Description = "JSON file for the rows." };
        var command = new Command("attention", "Our attention op, fused against unfused (bf16, T5 relative bias, key mask): forward and forward+backward time, TFLOP/s and the pool's peak memory.");
        foreach (var option in new Option[] { batch, heads, headDim, lengths, runs, output, device })
            command.Options.Add(option);
        command.SetAction(result =>
        {
            int[] ls = result.GetValue(lengths) ?? [];
            if (result.GetValue(batch) < 1 || result.GetValue(heads) < 1 || result.GetValue(headDim) < 1 || result.GetValue(runs) < 1 || ls.Length == 0 || ls.Any(l => l < 1))
            {
                Console.Error.WriteLine("error: --batch, --heads, --head-dim, --runs and every --lengths value must be positive.");
                return 1;
            }
            return AttentionBench.Run(result.GetValue(batch), result.GetValue(heads), result.GetValue(headDim), ls, result.GetValue(runs), result.GetValue(output), result.GetValue(device));
        });
        return command;
    }

    private static Command CreateMerge()
    {
        var dept = new Option<string>("--dept") { Description = "Our dept-bench/1 file (dept.json).", Required = true };
        var pytorch = new Option<string?>("--pytorch") { Description = "The PyTorch baseline's dept-bench/1 file." };
        var output = new Option<string?>("--out") { Description = "Folder for results.md and results.png (default: the folder of --dept)." };
        var merge = new Command("merge", "Merge our results with the PyTorch baseline's into results.md (table, ratios, targets MET/MISSED) and results.png. Needs no GPU.");
        merge.Options.Add(dept);
        merge.Options.Add(pytorch);
        merge.Options.Add(output);
        merge.SetAction(result =>
        {
            string deptPath = result.GetValue(dept)!;
            try
            {
                var ours = BenchJson.Read(deptPath);
                var theirs = result.GetValue(pytorch) is { } path ? BenchJson.Read(path) : null;
                string folder = result.GetValue(output) ?? Path.GetDirectoryName(Path.GetFullPath(deptPath))!;
                var comparison = ResultFiles.WriteReport(folder, ours, theirs, Console.WriteLine);
                ResultFiles.LogTargets(comparison, Console.WriteLine);
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return merge;
    }

    private static T[]? NullIfEmpty<T>(T[]? values) => values is { Length: > 0 } ? values : null;

    private static int? Positive(int? value, string option) =>
        value is int v && v <= 0 ? throw new ArgumentException($"{option}: {v} is not positive.") : value;

    private static IReadOnlyList<bool>? ParsePadding(string? text) => text?.ToLowerInvariant() switch
    {
        null => null,
        "off" => [false],
        "on" => [true],
        "both" => [false, true],
        _ => throw new ArgumentException($"--padding: '{text}' is not off, on or both."),
    };
}
