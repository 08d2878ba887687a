using System.Text.Json;
using DePT.Tests.Models;

namespace DePT.Tests.Cli;

/// <summary>
/// The <c>dept</c> verbs on a LLaMA-family folder (a tiny random Llama with a letter-level byte-level BPE tokenizer):
/// train a DePT prompt, evaluate its best checkpoint, and predict from stdin, on the CPU.
/// </summary>
[NonParallelizable]
public class CliCausalLmTests
{
    [Test]
    public void TrainEvalPredict_RoundTrip()
    {
        var config = TinyLlamaFolder.LlamaConfig();
        config["bos_token_id"] = 27;
        config["eos_token_id"] = 28;
        using var model = TinyLlamaFolder.Create(config, seed: 51);
        model.AddLetterTokenizer();
        string folder = Directory.CreateTempSubdirectory("dept-cli-llama-").FullName;
        try
        {
            string[] words = ["good", "bad"];
            string Row(int i) => JsonSerializer.Serialize(new { input = $"review number {(char)('a' + i % 26)} was fine", target = words[i % 2] });
            string train = Path.Combine(folder, "train.jsonl"), validation = Path.Combine(folder, "validation.jsonl"), run = Path.Combine(folder, "run");
            File.WriteAllLines(train, Enumerable.Range(0, 8).Select(Row));
            File.WriteAllLines(validation, Enumerable.Range(8, 4).Select(Row));

            var trained = DeptProcess.Run(null, "train", "--model", model.Path, "--device", "cpu", "--train", train, "--validation", validation, "--out", run,
                "--method", "dept", "--steps", "2", "--batch-size", "4", "--eval-every", "1", "--max-length", "24", "--target-length", "4", "--vanilla-length", "4");
            Assert.That(trained.ExitCode, Is.EqualTo(0), trained.ToString());
            Assert.That(File.Exists(Path.Combine(run, "best", "prompt.safetensors")));
            Assert.That(trained.Output, Does.Contain("s=29"), "A covers 24 input + 4 target tokens + the end token");

            var evaluated = DeptProcess.Run(null, "eval", "--model", model.Path, "--device", "cpu", "--checkpoint", Path.Combine(run, "best"), "--data", validation,
                "--target-length", "4");
            Assert.That(evaluated.ExitCode, Is.EqualTo(0), evaluated.ToString());
            Assert.That(evaluated.Output, Does.Contain("accuracy"), "two label words: the task is scored as a classification too");

            var predicted = DeptProcess.Run("review number q was fine\n", "predict", "--model", model.Path, "--device", "cpu", "--checkpoint", Path.Combine(run, "best"),
                "--target-length", "4");
            Assert.That(predicted.ExitCode, Is.EqualTo(0), predicted.ToString());
            var line = JsonDocument.Parse(predicted.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single()).RootElement;
            Assert.That(line.GetProperty("prediction").GetString()!.Length, Is.LessThanOrEqualTo(8), "at most 4 generated letters (and spaces)");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
