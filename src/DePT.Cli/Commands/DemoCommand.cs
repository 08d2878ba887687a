using System.CommandLine;
using DePT.Backends;
using DePT.Data;
using DePT.Data.Sources;
using DePT.Demo;
using DePT.Devices;
using DePT.Diagnostics;

namespace DePT.Cli.Commands;

/// <summary><c>dept demo</c>: head only vs PT vs DePT on all-MiniLM-L6-v2 and the UCI sentiment sentences (see <see cref="SentimentDemo"/>).</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var device = new Option<string?>("--device") { Description = "cpu or cuda (default: cuda when a device is found, else cpu)" };
        var steps = new Option<int?>("--steps") { Description = "optimiser steps per model (default: 60 on cpu, 1000 on cuda)" };
        var batchSize = new Option<int?>("--batch-size") { Description = "training rows per step (default: 8 on cpu, 32 on cuda)" };
        var maxLength = new Option<int?>("--max-length") { Description = "most word pieces per sentence, s (default: 32 on cpu, 64 on cuda)" };
        var seed = new Option<int?>("--seed") { Description = "seed of the split, batch order, head, prompts and dropout (default: 42)" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "data cache for the sentences (default: $DEPT_DATA_CACHE or ~/.cache/dept/data)" };
        var vanilla = new Option<int?>("--vanilla-length") { Description = "PT's L, and DePT's budget L·d (default: 20)" };
        var lrPrompt = new Option<float?>("--lr-prompt") { Description = "learning rate of the prompt P" };
        var lrLowRank = new Option<float?>("--lr-low-rank") { Description = "learning rate of DePT's A and B" };
        var lrHead = new Option<float?>("--lr-head") { Description = "learning rate of the head" };
        var testCount = new Option<int?>("--test-count") { Description = "held-out sentences, half per class" };
        var command = new Command("demo", "Train the head alone, vanilla PT + head and DePT + head (same parameter budget) on the UCI sentiment sentences with all-MiniLM-L6-v2, and compare held-out accuracy, time and memory.")
        {
            device, steps, batchSize, maxLength, seed, cacheDir, vanilla, lrPrompt, lrLowRank, lrHead, testCount,
        };
        command.SetAction(result => CommandRunner.Run("demo", () =>
        {
            var kind = BackendFactory.ParseKind(result.GetValue(device));
            var defaults = SentimentDemoOptions.For(kind);
            var options = defaults with
            {
                Steps = result.GetValue(steps) ?? defaults.Steps,
                BatchSize = result.GetValue(batchSize) ?? defaults.BatchSize,
                MaxLength = result.GetValue(maxLength) ?? defaults.MaxLength,
                Seed = result.GetValue(seed) ?? defaults.Seed,
                CacheDirectory = result.GetValue(cacheDir),
                VanillaPromptLength = result.GetValue(vanilla) ?? defaults.VanillaPromptLength,
                PromptLearningRate = result.GetValue(lrPrompt) ?? defaults.PromptLearningRate,
                LowRankLearningRate = result.GetValue(lrLowRank) ?? defaults.LowRankLearningRate,
                HeadLearningRate = result.GetValue(lrHead) ?? defaults.HeadLearningRate,
                TestCount = result.GetValue(testCount) ?? defaults.TestCount,
            };
            Console.WriteLine($"dept demo: {kind.ToString().ToLowerInvariant()}, {options.Steps} steps, batch {options.BatchSize}, max length {options.MaxLength}, seed {options.Seed}");
            Print(SentimentDemo.Run(options, new Progress(line => Console.WriteLine(line))));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static void Print(SentimentDemoReport report)
    {
        Console.WriteLine();
        Console.WriteLine($"{report.TrainCount} train / {report.TestCount} held-out test sentences; {report.DeviceDescription}; " +
                          $"{report.Options.Steps} steps × batch {report.Options.BatchSize}, s = {report.Options.MaxLength}");
        Console.WriteLine($"{"model",-22} {"prompt params",13} {"head params",11} {"test acc",9} {"final loss",10} {"train time",10} {"peak memory",-24}");
        foreach (var row in report.Results)
        {
            string memory = row.PeakDeviceBytes is long bytes ? $"{ByteCount.Format(bytes)} (CUDA pool)" : "n/a (CPU)";
            Console.WriteLine($"{row.Description,-22} {row.PromptParameters,13:N0} {row.HeadParameters,11:N0} {row.TestAccuracy,9:P1} {row.FinalLoss,10:F4} " +
                              $"{row.TrainingTime.TotalSeconds,9:F1}s {memory,-24}");
        }
        Console.WriteLine($"process peak resident memory (all runs, encoder and runtime): {ByteCount.Format(report.ProcessPeakWorkingSetBytes)}; total wall time {report.TotalTime.TotalSeconds:F1} s");
    }

    /// <summary>Writes progress on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    private sealed class Progress(Action<string> write) : IProgress<string>
    {
        public void Report(string value) => write(value);
    }
}
