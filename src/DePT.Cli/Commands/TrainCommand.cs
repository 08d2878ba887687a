using System.CommandLine;
using DePT.Cli.Training;
using DePT.Data;
using DePT.Metrics;
using DePT.Models;
using DePT.Prompts;
using DePT.Training;
using Spectre.Console;

namespace DePT.Cli.Commands;

/// <summary><c>dept train</c>: trains a PT or DePT prompt (plus a head on encoders) with <see cref="Trainer"/>.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var model = SharedOptions.Model(required: false);
        var device = SharedOptions.Device();
        var dtype = SharedOptions.DType();
        var train = new Option<string?>("--train") { Description = "training data: .jsonl, .csv or .tsv with an input column and a target (T5, causal LMs) or label (encoders) column" };
        var validation = new Option<string?>("--validation") { Description = "validation data in the same form (required)" };
        var output = new Option<string>("--out") { Description = "output folder: run.json, log.jsonl, chart.png, best/ and last/", Required = true };
        var resume = new Option<bool>("--resume") { Description = "continue the run in --out from last/ with its saved settings (give no other settings)" };
        var method = new Option<string>("--method") { Description = "dept, pt, or head (encoders only: the head alone)", DefaultValueFactory = _ => "dept" };
        var vanilla = new Option<int?>("--vanilla-length") { Description = "L: the PT prompt length, and DePT's parameter budget L·d (default: 100 for T5, 20 for encoders)" };
        var promptLength = new Option<int?>("--prompt-length") { Description = "m: DePT's prompt length (default: from the budget, m ≈ 0.6·L)" };
        var rank = new Option<int?>("--rank") { Description = "r: DePT's rank (default: the one that meets the budget with m ≈ 0.6·L)" };
        var init = new Option<string>("--init") { Description = "prompt initialisation: vocab (rows of the embedding table), text (see --init-text) or random", DefaultValueFactory = _ => "vocab" };
        var initText = new Option<string?>("--init-text") { Description = "text whose token embeddings (cycled to m rows) initialise the prompt with --init text" };
        var maxLength = new Option<int?>("--max-length") { Description = "s: most input tokens (default: 256 for T5, 128 for encoders)" };
        var targetLength = new Option<int>("--target-length") { Description = "most target tokens (T5, causal LMs)", DefaultValueFactory = _ => 16 };
        var steps = new Option<int>("--steps") { Description = "optimiser steps", DefaultValueFactory = _ => 1000 };
        var batchSize = new Option<int>("--batch-size") { Description = "training rows per step", DefaultValueFactory = _ => 16 };
        var evalEvery = new Option<int>("--eval-every") { Description = "steps between evaluations and checkpoints", DefaultValueFactory = _ => 100 };
        var evalBatchSize = new Option<int>("--eval-batch-size") { Description = "rows per evaluation pass", DefaultValueFactory = _ => 64 };
        var metric = new Option<string?>("--metric") { Description = $"the metric that picks best/: {MetricKindExtensions.AllFileNames()} (default: accuracy for classification, exact_match for free text)" };
        var lrPrompt = new Option<float>("--lr-prompt") { Description = "learning rate of the prompt P", DefaultValueFactory = _ => 3e-1f };
        var lrLowRank = new Option<float>("--lr-low-rank") { Description = "learning rate of DePT's A and B", DefaultValueFactory = _ => 1e-4f };
        var lrHead = new Option<float>("--lr-head") { Description = "learning rate of the classification head (encoders)", DefaultValueFactory = _ => 1e-3f };
        var warmup = new Option<int?>("--warmup") { Description = "linear warmup steps (default: min(500, steps/10))" };
        var clip = new Option<float>("--max-grad-norm") { Description = "global gradient-norm clipping; 0 disables", DefaultValueFactory = _ => 1f };
        var weightDecay = new Option<float>("--weight-decay") { Description = "AdamW's decoupled weight decay", DefaultValueFactory = _ => 0f };
        var noDropout = new Option<bool>("--no-dropout") { Description = "train without the model's dropout" };
        var seed = new Option<int>("--seed") { Description = "seed of the data order, initialisation and dropout", DefaultValueFactory = _ => 42 };
        var kShot = new Option<int?>("--k-shot") { Description = "train on k examples per class (seeded, class-balanced)" };
        var paperSplits = new Option<bool>("--paper-splits") { Description = "split as the DePT paper: small sets halve the validation file into validation and test; large ones hold 1,000 training rows out as validation and test on the validation file" };
        var skipMalformed = new Option<bool>("--skip-malformed") { Description = "skip malformed rows (each reported with file and line) instead of stopping at the first" };
        var gpus = new Option<int>("--gpus") { Description = "data-parallel training on this many CUDA devices of this host (NCCL): the batch is split across them, the loss curve is the one-GPU curve (with dropout off; with dropout on it agrees statistically)", DefaultValueFactory = _ => 1 };

        var command = new Command("train", "Train a vanilla PT or DePT prompt (plus a classification head on encoders) on a frozen model; evaluates every --eval-every steps, keeps the best checkpoint, and resumes exactly after Ctrl+C.")
        {
            model, device, dtype, train, validation, output, resume, method, vanilla, promptLength, rank, init, initText, maxLength, targetLength, steps, batchSize,
            evalEvery, evalBatchSize, metric, lrPrompt, lrLowRank, lrHead, warmup, clip, weightDecay, noDropout, seed, kShot, paperSplits, skipMalformed, gpus,
        };
        Option[] settingOptions = [model, dtype, train, validation, method, vanilla, promptLength, rank, init, initText, maxLength, targetLength, steps, batchSize,
            evalEvery, evalBatchSize, metric, lrPrompt, lrLowRank, lrHead, warmup, clip, weightDecay, noDropout, seed, kShot, paperSplits, skipMalformed, gpus];
        command.SetAction(r => CommandRunner.Run("train", () =>
        {
            string folder = r.GetValue(output)!;
            RunSettings settings;
            if (r.GetValue(resume))
            {
                var given = settingOptions.Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                if (given.Count > 0) throw new ArgumentException($"--resume continues the run with its saved settings; leave out {string.Join(", ", given)}.");
                settings = RunSettings.Load(folder);
            }
            else
            {
                if (File.Exists(RunSettings.PathIn(folder))) throw new ArgumentException($"'{Path.GetFullPath(folder)}' already holds a training run; pass --resume to continue it, or choose another --out.");
                string modelName = r.GetValue(model) ?? throw new ArgumentException("--model is required (or --resume).");
                bool encoder = SharedOptions.IsEncoder(modelName);
                int steps1 = r.GetValue(steps);
                settings = new RunSettings
                {
                    Model = modelName,
                    Train = Path.GetFullPath(r.GetValue(train) ?? throw new ArgumentException("--train is required.")),
                    Validation = r.GetValue(validation) is { } v ? Path.GetFullPath(v) : throw new ArgumentException("--validation is required."),
                    PaperSplits = r.GetValue(paperSplits),
                    KShot = r.GetValue(kShot),
                    Method = r.GetValue(method)!.ToLowerInvariant(),
                    VanillaLength = r.GetValue(vanilla) ?? (encoder ? 20 : 100),
                    PromptLength = r.GetValue(promptLength),
                    Rank = r.GetValue(rank),
                    Init = r.GetValue(init)!.ToLowerInvariant(),
                    InitText = r.GetValue(initText),
                    MaxLength = r.GetValue(maxLength) ?? (encoder ? 128 : 256),
                    TargetLength = r.GetValue(targetLength),
                    Steps = steps1,
                    BatchSize = r.GetValue(batchSize),
                    EvalEvery = r.GetValue(evalEvery),
                    EvalBatchSize = r.GetValue(evalBatchSize),
                    Metric = r.GetValue(metric) ?? "",
                    PromptLearningRate = r.GetValue(lrPrompt),
                    LowRankLearningRate = r.GetValue(lrLowRank),
                    HeadLearningRate = r.GetValue(lrHead),
                    WarmupSteps = r.GetValue(warmup) ?? Math.Min(500, steps1 / 10),
                    MaxGradNorm = r.GetValue(clip),
                    WeightDecay = r.GetValue(weightDecay),
                    Dropout = !r.GetValue(noDropout),
                    Seed = r.GetValue(seed),
                    SkipMalformed = r.GetValue(skipMalformed),
                    DType = r.GetValue(dtype),
                    Gpus = r.GetValue(gpus),
                };
            }
            return TrainRun.Execute(settings, folder, r.GetValue(resume), r.GetValue(device));
        }));
        return command;
    }
}
