using DePT.Backends;
using DePT.Data;
using DePT.Metrics;

namespace DePT.Training;

/// <summary>
/// What <see cref="Trainer"/> drives: a frozen model with its trainable parts (a prompt, perhaps a head) and the
/// optimiser over them. The trainer owns the loop, the data order, evaluation timing and checkpoints; the task
/// owns the model-specific forward, backward, scoring and the files its trainable parts are saved in.
/// </summary>
public interface ITrainingTask
{
    /// <summary>The backend the model and the trainable parts live on.</summary>
    IBackend Backend { get; }

    /// <summary>The optimiser over every trainable part; its state is what a training checkpoint saves.</summary>
    IOptimizer Optimizer { get; }

    /// <summary>The metrics <see cref="Evaluate"/> reports; the trainer refuses to select by any other.</summary>
    IReadOnlyList<MetricKind> Metrics { get; }

    /// <summary>Tokenizes the examples at <paramref name="indices"/> into one batch (dynamic padding, truncation counted).</summary>
    EncodedBatch Encode(IReadOnlyList<Example> examples, ReadOnlySpan<int> indices);

    /// <summary>Forward and backward of one batch; adds (+=) the gradients into the trainable parts and returns the mean loss. No optimiser step.</summary>
    float AccumulateGradients(EncodedBatch batch);

    /// <summary>
    /// How many terms the mean loss of <see cref="AccumulateGradients"/> averages over for <paramref name="batch"/>: its rows
    /// unless the task says otherwise (T5 averages over target tokens). Data-parallel training weighs each shard's mean by it.
    /// </summary>
    int LossTermCount(EncodedBatch batch) => batch.Inputs.BatchSize;

    /// <summary>Scores the current parameters on <paramref name="examples"/> (no dropout), <paramref name="batchSize"/> rows at a time: one value per kind in <see cref="Metrics"/>.</summary>
    IReadOnlyDictionary<MetricKind, double> Evaluate(IReadOnlyList<Example> examples, int batchSize);

    /// <summary>Writes the trainable parts' current values into <paramref name="folder"/> (which exists and is empty).</summary>
    void SaveParameters(string folder);

    /// <summary>Reads the values <see cref="SaveParameters"/> wrote into the live trainable parts (to resume).</summary>
    /// <exception cref="Checkpoints.CheckpointFormatException">A file is damaged, newer, or its shapes do not fit the task.</exception>
    /// <exception cref="Checkpoints.PromptModelMismatchException">The files were made for another model.</exception>
    void LoadParameters(string folder);
}
