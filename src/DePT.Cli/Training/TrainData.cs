using DePT.Data;
using DePT.Models;

namespace DePT.Cli.Training;

/// <summary>The data of a run: read with file:line errors, split as asked, and checked against the model's kind of task.</summary>
/// <param name="Train">Training examples.</param>
/// <param name="Validation">Evaluation examples during training.</param>
/// <param name="Test">The held-out test split of <c>--paper-splits</c>, or null.</param>
internal sealed record TrainData(IReadOnlyList<Example> Train, IReadOnlyList<Example> Validation, IReadOnlyList<Example>? Test)
{
    public static TrainData Load(PretrainedModel model, RunSettings settings, Action<string> report)
    {
        var kind = model.Encoder is not null ? ExampleKind.Classification : ExampleKind.TextToText;
        var options = new DatasetReaderOptions { Kind = kind, MalformedRows = settings.SkipMalformed ? MalformedRowPolicy.Skip : MalformedRowPolicy.Fail };
        var train = Read(settings.Train, options, report);
        // unknown labels in the validation file are errors naming the row, never a silent extra class
        var labels = kind == ExampleKind.Classification ? new LabelSet(train.Select(e => e.Label!).Distinct().Order(StringComparer.Ordinal)) : null;
        var validation = Read(settings.Validation!, options with { Labels = labels }, report);
        IReadOnlyList<Example>? test = null;
        if (settings.PaperSplits)
        {
            var splits = DatasetSplitter.Split(train, validation, new DatasetSplitOptions { Seed = settings.Seed });
            (train, validation, test) = (splits.Train, splits.Validation, splits.Test);
            report($"paper splits: {train.Count} train / {validation.Count} validation / {test.Count} test rows");
        }
        if (settings.KShot is int k)
        {
            train = KShotSampler.Sample(train, k, settings.Seed);
            report($"{k}-shot: {train.Count} training rows");
        }
        return new TrainData(train, validation, test);
    }

    private static IReadOnlyList<Example> Read(string path, DatasetReaderOptions options, Action<string> report)
    {
        var dataset = DatasetReader.Read(path, options);
        if (dataset.SkippedCount > 0)
        {
            report($"{path}: skipped {dataset.SkippedCount} malformed row(s):");
            foreach (var row in dataset.SkippedRows) report($"  {row}");
        }
        return dataset.Examples;
    }
}
