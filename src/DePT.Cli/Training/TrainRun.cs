using DePT.Cli.Commands;
using DePT.Data;
using DePT.Metrics;
using DePT.Models;
using DePT.Prompts;
using DePT.Training;
using Spectre.Console;

namespace DePT.Cli.Training;

/// <summary>One <c>dept train</c> run from its settings: load, build the task, train under a progress bar, report.</summary>
internal static class TrainRun
{
    public static int Execute(RunSettings settings, string folder, bool resume, string? device)
    {
        if (settings.Method is not ("dept" or "pt" or "head")) throw new ArgumentException($"--method must be dept, pt or head; got \"{settings.Method}\".");
        string output = Path.GetFullPath(folder);
        using var replicas = TrainingReplicas.Open(settings, device);
        var model = replicas.Model;
        string family = model.T5 is not null ? "T5, text-to-text" : model.CausalLm is not null ? "causal LM, text-to-text" : "encoder + classification head";
        Console.WriteLine($"model {model.Name}: {family}, d={model.Dim}, on {replicas.Describe()}");

        var data = TrainData.Load(model, settings, Console.WriteLine);
        var labels = TaskSetup.LabelsOf(model, data.Train);
        if (model.Encoder is null && labels is not null && data.Validation.Any(e => !labels.Contains(e.Target!))) labels = null;   // free text after all
        var metric = MetricOf(settings.Metric, labels);
        var optimizer = new AdamWSettings(settings.PromptLearningRate, settings.LowRankLearningRate, WeightDecay: settings.WeightDecay,
            WarmupSteps: settings.WarmupSteps, TotalSteps: settings.Steps, MaxGradNorm: settings.MaxGradNorm);
        replicas.CreateTasks(rankModel => TaskSetup.Create(rankModel, MakePrompt(settings, rankModel), labels, settings.MaxLength, settings.TargetLength, optimizer,
            settings.HeadLearningRate, settings.Dropout, settings.Seed));
        Console.WriteLine($"{data.Train.Count} training / {data.Validation.Count} validation rows; {Describe(settings, model)}; " +
                          (labels is null ? "free-text targets" : $"{labels.Count} classes [{string.Join(", ", labels.Labels)}]"));

        Directory.CreateDirectory(output);
        if (!resume) settings.Save(output);
        var options = new TrainerOptions(settings.Steps, settings.BatchSize, output, settings.EvalEvery, metric, settings.Seed, settings.EvalBatchSize);
        string logPath = Path.Combine(output, TrainingLog.FileName), chartPath = Path.Combine(output, TrainingChart.FileName);

        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // the first Ctrl+C asks for a clean stop (state saved); a second one ends the process at once
            e.Cancel = !cancellation.IsCancellationRequested;
            if (!cancellation.IsCancellationRequested) Console.Error.WriteLine("dept train: stopping after this step and saving the state (Ctrl+C again to abort) ...");
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        TrainingResult result;
        try
        {
            result = RunWithProgress(replicas.Task, data, options, resume, logPath, chartPath, cancellation.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        if (File.Exists(logPath)) TrainingChart.Write(logPath, chartPath, metric);

        Console.WriteLine($"{result.Outcome}: step {result.Step}/{settings.Steps}, {result.Elapsed.TotalSeconds:F1} s, {result.Tokens / Math.Max(result.Elapsed.TotalSeconds, 1e-9):N0} tokens/s" +
                          (result.TruncatedRows > 0 ? $", {result.TruncatedRows} training rows truncated to the max length" : ""));
        if (result.BestMetric is double best)
            Console.WriteLine($"best {metric.FileName()} {best:F4} at step {result.BestStep}: {Path.Combine(output, Trainer.BestFolderName)}");
        if (data.Test is { } test && result.Outcome == TrainingOutcome.Completed && result.BestStep is not null)
        {
            replicas.Task.LoadParameters(Path.Combine(output, Trainer.BestFolderName));
            var scores = replicas.Task.Evaluate(test, settings.EvalBatchSize);
            Console.WriteLine($"test ({test.Count} rows, best checkpoint): " + string.Join(", ", scores.OrderBy(m => m.Key).Select(m => $"{m.Key.FileName()} {m.Value:F4}")));
        }
        Console.WriteLine($"log {logPath}, chart {chartPath}");
        return result.Outcome switch
        {
            TrainingOutcome.Completed => ExitCodes.Success,
            TrainingOutcome.Cancelled => ExitCodes.Interrupted,
            _ => ExitCodes.NonFiniteLoss,
        };
    }

    private static TrainingResult RunWithProgress(ITrainingTask task, TrainData data, TrainerOptions options, bool resume, string logPath, string chartPath, CancellationToken token)
    {
        if (!ConsoleProgress.Interactive)
            return Trainer.Run(task, data.Train, data.Validation, options, resume, new ConsoleProgress(null, logPath, chartPath, options.Metric), token);
        TrainingResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var bar = context.AddTask("starting", maxValue: options.Steps);
                result = Trainer.Run(task, data.Train, data.Validation, options, resume, new ConsoleProgress(bar, logPath, chartPath, options.Metric), token);
                bar.Value = options.Steps;
            });
        return result!;
    }

    private static MetricKind MetricOf(string name, LabelSet? labels)
    {
        if (name.Length == 0) return labels is null ? MetricKind.ExactMatch : MetricKind.Accuracy;
        return MetricKindExtensions.TryParse(name, out var kind) ? kind
            : throw new ArgumentException($"--metric \"{name}\" is not one of {MetricKindExtensions.AllFileNames()}.");
    }

    private static SoftPrompt? MakePrompt(RunSettings s, PretrainedModel model)
    {
        int d = model.Dim;
        SoftPrompt? prompt;
        switch (s.Method)
        {
            case "head":
                if (model.Encoder is null) throw new ArgumentException("--method head trains a classification head, which only encoders have; use pt or dept for T5 and causal LMs.");
                return null;
            case "pt":
                prompt = new PromptTuning(model.Backend, s.VanillaLength, d);
                break;
            default:
                int rows = model.LowRankRows(s.MaxLength, s.TargetLength);
                var (m, r) = (s.PromptLength, s.Rank) switch
                {
                    (int pm, int pr) => (pm, pr),
                    (null, null) => PromptBudget.Decomposition(d, rows, s.VanillaLength) is var o ? (o.PromptLength, o.Rank) : default,
                    _ => throw new ArgumentException("give both --prompt-length and --rank, or neither (then they follow from --vanilla-length's budget)."),
                };
                prompt = new DecomposedPrompt(model.Backend, m, d, rows, r, lowRankSeed: (ulong)s.Seed + 1);
                break;
        }
        try
        {
            switch (s.Init)
            {
                case "vocab":
                    prompt.InitializeFromVocabulary(model.WordEmbeddings, (ulong)s.Seed + 2);
                    break;
                case "text":
                    string text = s.InitText ?? throw new ArgumentException("--init text needs --init-text \"...\".");
                    prompt.InitializeFromText(model.Tokenizer.Encode(text, int.MaxValue), model.WordEmbeddings);
                    break;
                case "random":
                    prompt.InitializeRandom((ulong)s.Seed + 2);
                    break;
                default:
                    throw new ArgumentException($"--init must be vocab, text or random; got \"{s.Init}\".");
            }
            return prompt;
        }
        catch
        {
            prompt.Dispose();
            throw;
        }
    }

    private static string Describe(RunSettings s, PretrainedModel model) => s.Method switch
    {
        "head" => "head only",
        "pt" => $"vanilla PT, L={s.VanillaLength} ({(long)s.VanillaLength * model.Dim:N0} prompt parameters)",
        _ => s.PromptLength is int m && s.Rank is int r
            ? $"DePT m={m}, r={r}, s={model.LowRankRows(s.MaxLength, s.TargetLength)} ({PromptBudget.ParameterCount(m, r, model.Dim, model.LowRankRows(s.MaxLength, s.TargetLength)):N0} prompt parameters)"
            : $"DePT at the budget of PT L={s.VanillaLength}, s={model.LowRankRows(s.MaxLength, s.TargetLength)}",
    };
}
