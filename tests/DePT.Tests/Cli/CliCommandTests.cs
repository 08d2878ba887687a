using System.Text.Json;
using DePT.Checkpoints;

namespace DePT.Tests.Cli;

/// <summary>
/// The <c>dept</c> verbs as a user meets them: exit codes, one-line errors naming the file, line or setting at fault,
/// and a train → eval → predict round trip on the real all-MiniLM-L6-v2 with a few sentences (CPU).
/// </summary>
[NonParallelizable]
public class CliCommandTests
{
    private string _folder = null!;
    private string _train = null!;
    private string _validation = null!;
    private string _run = null!;

    [OneTimeSetUp]
    public void TrainOnce()
    {
        _folder = Directory.CreateTempSubdirectory("dept-cli-").FullName;
        _train = Write("train.jsonl", Rows(16));
        _validation = Write("validation.jsonl", Rows(8));
        _run = Path.Combine(_folder, "run");
        var result = DeptProcess.Run(null, "train", "--model", "minilm", "--device", "cpu", "--train", _train, "--validation", _validation, "--out", _run,
            "--steps", "2", "--batch-size", "4", "--eval-every", "1", "--max-length", "16", "--vanilla-length", "4");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
    }

    [OneTimeTearDown]
    public void RemoveFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void Help_ListsTheVerbsAndExitCodes()
    {
        var result = DeptProcess.Run(null, "--help");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        foreach (string verb in new[] { "train", "eval", "predict", "bench", "demo", "doctor" })
            Assert.That(result.Output, Does.Contain(verb), verb);
        Assert.That(result.Output, Does.Contain("Exit codes"));
    }

    [Test]
    public void Train_WritesTheRunFolder()
    {
        foreach (string file in new[] { "run.json", "log.jsonl", "chart.png", "best/prompt.safetensors", "best/prompt.json", "best/head.safetensors",
                     "best/checkpoint.json", "last/training_state.safetensors" })
            Assert.That(File.Exists(Path.Combine(_run, file)), file);
        var log = DePT.Training.TrainingLog.Read(Path.Combine(_run, "log.jsonl"));
        Assert.That(log.Losses.Select(l => l.Step), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(log.Evaluations.Select(e => e.Step), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(File.ReadAllBytes(Path.Combine(_run, "chart.png")).AsSpan(1, 3).ToArray(), Is.EqualTo("PNG"u8.ToArray()));
    }

    [Test]
    public void Eval_ReportsTheBestCheckpointsMetrics()
    {
        var result = DeptProcess.Run(null, "eval", "--model", "minilm", "--device", "cpu", "--checkpoint", Path.Combine(_run, "best"), "--data", _validation);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var best = CheckpointFolder.ReadInfo(Path.Combine(_run, "best"));
        double accuracy = best.Metrics[DePT.Metrics.MetricKind.Accuracy];
        Assert.That(result.Output, Does.Contain($"accuracy               {accuracy:F4}"), "eval of best/ repeats the accuracy the trainer measured");
    }

    [Test]
    [Platform("Linux,MacOsX", Reason = "sends SIGINT, which is what Ctrl+C delivers there")]
    public void CtrlC_SavesTheStateAndExitsWith2_AndResumeFinishesTheRun()
    {
        string run = Path.Combine(_folder, "interrupted");
        string log = Path.Combine(run, "log.jsonl");
        var interrupted = DeptProcess.Run(null, process =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3) && (!File.Exists(log) || File.ReadAllLines(log).Length < 2)) Thread.Sleep(100);
            if (process.HasExited) return;
            using var signal = System.Diagnostics.Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            signal.WaitForExit();
        }, "train", "--model", "minilm", "--device", "cpu", "--train", _train, "--validation", _validation, "--out", run,
            "--steps", "60", "--batch-size", "2", "--eval-every", "30", "--max-length", "16", "--vanilla-length", "4");
        Assert.That(interrupted.ExitCode, Is.EqualTo(2), interrupted.ToString());
        Assert.That(interrupted.Error, Does.Contain("stopping after this step"));
        var saved = CheckpointFolder.ReadInfo(Path.Combine(run, "last"));
        Assert.That(saved.Step, Is.InRange(2, 59), "last/ holds the step the run stopped at");
        Assert.That(DePT.Training.TrainingLog.Read(log).Losses.Max(l => l.Step), Is.EqualTo(saved.Step));

        var resumed = DeptProcess.Run(null, "train", "--out", run, "--resume");
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        Assert.That(resumed.Output, Does.Contain($"at step {saved.Step}"));
        Assert.That(DePT.Training.TrainingLog.Read(log).Losses.Select(l => l.Step), Is.EqualTo(Enumerable.Range(1, 60)), "the log reads as one run");
    }

    [Test]
    public void Predict_WritesOneJsonLinePerInput_FromStdin()
    {
        var result = DeptProcess.Run("a wonderful film\n\n{\"text\": \"awful, broke in a day\"}\n", "predict", "--model", "minilm", "--device", "cpu",
            "--checkpoint", Path.Combine(_run, "best"));
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        var rows = lines.Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.That(rows.Select(r => r.GetProperty("line").GetInt32()), Is.EqualTo(new[] { 1, 3 }));
        Assert.That(rows[1].GetProperty("input").GetString(), Is.EqualTo("awful, broke in a day"));
        Assert.That(rows.Select(r => r.GetProperty("prediction").GetString()), Is.All.AnyOf("0", "1"));
    }

    [Test]
    public void Predict_MalformedJsonLine_NamesTheLine()
    {
        var result = DeptProcess.Run("fine\n{\"text\": \n", "predict", "--model", "minilm", "--device", "cpu", "--checkpoint", Path.Combine(_run, "best"));
        AssertOneLineError(result, "dept predict:", "stdin:2");
    }

    [Test]
    public void Train_MissingModelFolder_IsOneLineNamingIt()
    {
        string missing = Path.Combine(_folder, "no-such-model");
        var result = DeptProcess.Run(null, "train", "--model", missing, "--train", _train, "--validation", _validation, "--out", Path.Combine(_folder, "x"), "--device", "cpu");
        AssertOneLineError(result, "dept train:", missing);
    }

    [Test]
    public void Train_MalformedRow_IsFatalWithFileAndLine_OrSkippedWhenAsked()
    {
        string bad = Write("bad.jsonl", [.. Rows(8), "{\"text\": \"no label here\"}", .. Rows(4)]);
        var fatal = DeptProcess.Run(null, "train", "--model", "minilm", "--device", "cpu", "--train", bad, "--validation", _validation, "--out", Path.Combine(_folder, "bad-run"),
            "--steps", "1", "--batch-size", "4", "--max-length", "16", "--vanilla-length", "4");
        AssertOneLineError(fatal, "dept train:", $"{bad}:9");

        var skipped = DeptProcess.Run(null, "train", "--model", "minilm", "--device", "cpu", "--train", bad, "--validation", _validation, "--out", Path.Combine(_folder, "skip-run"),
            "--steps", "1", "--batch-size", "4", "--max-length", "16", "--vanilla-length", "4", "--method", "head", "--skip-malformed");
        Assert.That(skipped.ExitCode, Is.EqualTo(0), skipped.ToString());
        Assert.That(skipped.Output, Does.Contain($"{bad}:9"));
    }

    [Test]
    public void Train_UnknownValidationLabel_NamesTheRow()
    {
        string validation = Write("unknown-label.jsonl", [.. Rows(2), "{\"text\": \"so-so\", \"label\": \"neutral\"}"]);
        var result = DeptProcess.Run(null, "train", "--model", "minilm", "--device", "cpu", "--train", _train, "--validation", validation, "--out", Path.Combine(_folder, "u"),
            "--steps", "1");
        AssertOneLineError(result, "dept train:", $"{validation}:3");
    }

    [Test]
    public void Train_EmptyDataset_SaysSo()
    {
        string empty = Write("empty.jsonl", []);
        var result = DeptProcess.Run(null, "train", "--model", "minilm", "--device", "cpu", "--train", empty, "--validation", _validation, "--out", Path.Combine(_folder, "e"));
        AssertOneLineError(result, "dept train:", "empty");
    }

    [Test]
    public void Train_IntoAnExistingRun_OrResumeWithNewSettings_IsRefused()
    {
        var again = DeptProcess.Run(null, "train", "--model", "minilm", "--device", "cpu", "--train", _train, "--validation", _validation, "--out", _run);
        AssertOneLineError(again, "dept train:", "--resume");
        var resume = DeptProcess.Run(null, "train", "--out", _run, "--resume", "--steps", "5");
        AssertOneLineError(resume, "dept train:", "--steps");
        var nothing = DeptProcess.Run(null, "train", "--out", Path.Combine(_folder, "never-trained"), "--resume");
        AssertOneLineError(nothing, "dept train:", "run.json");
    }

    [Test]
    public void Eval_CheckpointOfAnotherModel_IsRefused()
    {
        string copy = CopyCheckpoint("other-model");
        string config = Path.Combine(copy, "prompt.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"num_layers\": 6", "\"num_layers\": 7"));
        var result = DeptProcess.Run(null, "eval", "--model", "minilm", "--device", "cpu", "--checkpoint", copy, "--data", _validation);
        AssertOneLineError(result, "dept eval:", "was trained on");
    }

    [Test]
    public void Eval_CheckpointFromANewerFormat_AsksForAnUpdate()
    {
        string copy = CopyCheckpoint("newer");
        string config = Path.Combine(copy, "prompt.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"format_version\": 1", "\"format_version\": 2"));
        var result = DeptProcess.Run(null, "eval", "--model", "minilm", "--device", "cpu", "--checkpoint", copy, "--data", _validation);
        AssertOneLineError(result, "dept eval:", "newer");
    }

    [Test]
    public void CudaAskedFor_WithoutADevice_SaysWhy()
    {
        if (DePT.Devices.CudaProbe.Run().IsAvailable) Assert.Ignore("a CUDA device exists here");
        var result = DeptProcess.Run(null, "bench", "--model", "minilm", "--device", "cuda");
        AssertOneLineError(result, "dept bench:", "CUDA");
    }

    private static void AssertOneLineError(DeptProcess.Result result, string prefix, string mention)
    {
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.ErrorLines, Has.Length.EqualTo(1), result.ToString());
        Assert.That(result.ErrorLines[0], Does.StartWith(prefix).And.Contain(mention), result.ToString());
    }

    private string CopyCheckpoint(string name)
    {
        string copy = Path.Combine(_folder, name);
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.GetFiles(Path.Combine(_run, "best")))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }

    private string Write(string name, IEnumerable<string> lines)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static IEnumerable<string> Rows(int count)
    {
        string[] positive = ["a wonderful, moving film", "great value and it works", "I loved every minute", "excellent service, friendly staff"];
        string[] negative = ["a dull and tedious mess", "broke after one day", "the worst meal I have had", "rude staff and cold food"];
        for (int i = 0; i < count; i++)
            yield return JsonSerializer.Serialize(new { text = i % 2 == 0 ? positive[i / 2 % 4] : negative[i / 2 % 4], label = (i % 2 == 0 ? 1 : 0).ToString() });
    }
}
