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
        var steps = new Option<int?>("--steps") { Description = "optimiser steps per model (default: 20 on cpu, 1000 on cuda)" };
        var batchSize = new Option<int?>("--batch-size") { Description = "training rows per step (default: 8 on cpu, 32 on cuda)" };
        var maxLength = new Option<int?>("--max-length") { Description = "most word pieces per sentence, s (default: 32 on cpu, 64 on cuda)" };
        var seed = new Option<int?>("--seed") { Description = "seed of the split, batch order, head, prompts and dropout (default: 42)" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "data cache for the sentences (default: $DEPT_DATA_CACHE or ~/.cache/dept/data)" };
        var command = new Command("demo", "Train the head alone, vanilla PT + head and DePT + head (same parameter budget) on the UCI sentiment sentences with all-MiniLM-L6-v2, and compare held-out accuracy, time and memory.")
        {
            device, steps, batchSize, maxLength, seed, cacheDir,
        };
        command.SetAction(result => Run(result.GetValue(device), result.GetValue(steps), result.GetValue(batchSize), result.GetValue(maxLength),
            result.GetValue(seed), result.GetValue(cacheDir)));
        return command;
    }

    private static int Run(string? device, int? steps, int? batchSize, int? maxLength, int? seed, string? cacheDir)
    {
        try
        {
            var kind = BackendFactory.ParseKind(device);
            var defaults = SentimentDemoOptions.For(kind);
            var options = defaults with
            {
                Steps = steps ?? defaults.Steps,
                BatchSize = batchSize ?? defaults.BatchSize,
                MaxLength = maxLength ?? defaults.MaxLength,
                Seed = seed ?? defaults.Seed,
                CacheDirectory = cacheDir,
            };
            Console.WriteLine($"dept demo: {kind.ToString().ToLowerInvariant()}, {options.Steps} steps, batch {options.BatchSize}, max length {options.MaxLength}, seed {options.Seed}");
            var report = SentimentDemo.Run(options, new Progress(line => Console.WriteLine(line)));
            Print(report);
            return 0;
        }
        catch (Exception e) when (e is DataFetchException or DatasetFormatException or ArgumentException or CudaUnavailableException or FileNotFoundException or InvalidDataException)
        {
            Console.Error.WriteLine($"dept demo: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
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
