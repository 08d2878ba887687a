using System.CommandLine;
using System.Text.Json;
using DePT.Cli.Training;

namespace DePT.Cli.Commands;

/// <summary>
/// <c>dept predict</c>: one JSON line per input with the prediction. Inputs are lines of a file or of stdin: plain text,
/// or JSON objects with an "input", "text" or "sentence" field (a .jsonl dataset works as it is).
/// </summary>
internal static class PredictCommand
{
    private static readonly string[] InputFields = ["input", "text", "sentence"];

    public static Command Create()
    {
        var model = SharedOptions.Model();
        var device = SharedOptions.Device();
        var dtype = SharedOptions.DType();
        var checkpoint = new Option<string>("--checkpoint") { Description = "a checkpoint folder of a run (best/ or last/)", Required = true };
        var input = new Option<string?>("--input") { Description = "file of inputs, one per line (plain text or JSON objects); default: stdin" };
        var output = new Option<string?>("--output") { Description = "JSON Lines output file; default: stdout" };
        var maxLength = new Option<int?>("--max-length") { Description = "s: most input tokens (default: the DePT prompt's s, else 256 for T5 and 128 for encoders)" };
        var targetLength = new Option<int>("--target-length") { Description = "most generated tokens (T5, causal LMs)", DefaultValueFactory = _ => 16 };
        var batchSize = new Option<int>("--batch-size") { Description = "inputs per forward pass", DefaultValueFactory = _ => 64 };
        var command = new Command("predict", "Predict with a trained prompt (and head): reads inputs from a file or stdin, writes {\"line\", \"input\", \"prediction\"} JSON lines.")
        {
            model, device, dtype, checkpoint, input, output, maxLength, targetLength, batchSize,
        };
        command.SetAction(r => CommandRunner.Run("predict", () =>
        {
            string source = r.GetValue(input) ?? "stdin";
            var texts = ReadInputs(r.GetValue(input), source);
            if (texts.Count == 0) throw new ArgumentException($"{source} holds no inputs.");
            var (backend, loaded) = SharedOptions.Open(r.GetValue(model)!, r.GetValue(device), r.GetValue(dtype));
            using var ownedBackend = backend;
            using var ownedModel = loaded;
            using var setup = CheckpointTask.Open(loaded, r.GetValue(checkpoint)!, r.GetValue(maxLength), r.GetValue(targetLength), null);
            string[] predictions = setup.Predict(texts.Select(t => t.Text).ToList(), r.GetValue(batchSize));
            using var writer = r.GetValue(output) is { } path ? new StreamWriter(path) : new StreamWriter(Console.OpenStandardOutput());
            for (int i = 0; i < texts.Count; i++)
                writer.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["line"] = texts[i].Line, ["input"] = texts[i].Text, ["prediction"] = predictions[i] }));
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>The non-empty lines of the file (or stdin) with their line numbers; JSON objects give their input field.</summary>
    /// <exception cref="InvalidDataException">A JSON line is malformed or has no input field; the message names the line.</exception>
    private static List<(int Line, string Text)> ReadInputs(string? path, string source)
    {
        using var reader = path is null ? new StreamReader(Console.OpenStandardInput()) : new StreamReader(path);
        var inputs = new List<(int, string)>();
        int number = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (!line.TrimStart().StartsWith('{'))
            {
                inputs.Add((number, line));
                continue;
            }
            try
            {
                using var json = JsonDocument.Parse(line);
                string? text = InputFields.Select(f => json.RootElement.TryGetProperty(f, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null)
                    .FirstOrDefault(t => t is not null);
                inputs.Add((number, text ?? throw new InvalidDataException($"{source}:{number}: the JSON object has none of the fields {string.Join(", ", InputFields)}.")));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{source}:{number}: not valid JSON ({e.Message}).", e);
            }
        }
        return inputs;
    }
}
