using System.CommandLine;
using DePT.Cli.Training;
using DePT.Data;
using DePT.Metrics;

namespace DePT.Cli.Commands;

/// <summary><c>dept eval</c>: scores a checkpoint folder on a labelled file (every metric the task reports).</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = SharedOptions.Model();
        var device = SharedOptions.Device();
        var dtype = SharedOptions.DType();
        var checkpoint = new Option<string>("--checkpoint") { Description = "a checkpoint folder of a run (best/ or last/): prompt.safetensors + prompt.json, and head.safetensors for encoders", Required = true };
        var data = new Option<string>("--data") { Description = "labelled data: .jsonl, .csv or .tsv with the same columns as training", Required = true };
        var maxLength = new Option<int?>("--max-length") { Description = "s: most input tokens (default: the DePT prompt's s, else 256 for T5 and 128 for encoders)" };
        var targetLength = new Option<int>("--target-length") { Description = "most generated tokens (T5, causal LMs)", DefaultValueFactory = _ => 16 };
        var batchSize = new Option<int>("--batch-size") { Description = "rows per forward pass", DefaultValueFactory = _ => 64 };
        var skipMalformed = new Option<bool>("--skip-malformed") { Description = "skip malformed rows (reported with file and line) instead of stopping" };
        var command = new Command("eval", "Evaluate a trained prompt (and head) on a labelled data file: accuracy, F1, MCC for classes; exact match and token F1 for text.")
        {
            model, device, dtype, checkpoint, data, maxLength, targetLength, batchSize, skipMalformed,
        };
        command.SetAction(r => CommandRunner.Run("eval", () =>
        {
            var (backend, loaded) = SharedOptions.Open(r.GetValue(model)!, r.GetValue(device), r.GetValue(dtype));
            using var ownedBackend = backend;
            using var ownedModel = loaded;
            var kind = loaded.Encoder is not null ? ExampleKind.Classification : ExampleKind.TextToText;
            var policy = r.GetValue(skipMalformed) ? MalformedRowPolicy.Skip : MalformedRowPolicy.Fail;
            var dataset = DatasetReader.Read(r.GetValue(data)!, new DatasetReaderOptions { Kind = kind, MalformedRows = policy });
            using var setup = CheckpointTask.Open(loaded, r.GetValue(checkpoint)!, r.GetValue(maxLength), r.GetValue(targetLength), dataset.Examples);
            if (setup.Labels is { } labels && kind == ExampleKind.Classification)
                dataset = DatasetReader.Read(r.GetValue(data)!, new DatasetReaderOptions { Kind = kind, MalformedRows = policy, Labels = labels });   // unknown labels name their row
            if (dataset.SkippedCount > 0) Console.Error.WriteLine($"dept eval: skipped {dataset.SkippedCount} malformed row(s), first: {dataset.SkippedRows[0]}");
            var scores = setup.Task.Evaluate(dataset.Examples, r.GetValue(batchSize));
            Console.WriteLine($"{dataset.Examples.Count} rows of {dataset.SourceFile}");
            foreach (var (metric, value) in scores.OrderBy(m => m.Key)) Console.WriteLine($"{metric.FileName(),-22} {value:F4}");
            return ExitCodes.Success;
        }));
        return command;
    }
}
