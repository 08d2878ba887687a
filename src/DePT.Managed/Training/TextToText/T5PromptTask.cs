using DePT.Backends;
using DePT.Checkpoints;
using DePT.Data;
using DePT.Metrics;
using DePT.Models.Runtime;
using DePT.Models.T5;
using DePT.Prompts;
using DePT.Tokenizers;

namespace DePT.Training.TextToText;

/// <summary>
/// Prompt tuning (vanilla or DePT) of a frozen T5 on text-to-text data, the paper's setting: the prompt goes in front
/// of the encoder input, the loss is the mean cross-entropy of the target tokens, and evaluation generates greedily
/// and compares the generated text with the target: exact match and token F1 always, and accuracy, macro F1 and
/// Matthews correlation (binary F1 for two) over the label words when the task is given them.
/// </summary>
/// <remarks>
/// A generation that is not one of the label words counts as a class of its own, wrong for every row.
/// Dropout follows the config's <c>dropout_rate</c>, seeded per step like <see cref="Classification.PromptClassifier"/>.
/// Saved as <see cref="PromptFileName"/>. The task owns its optimiser; the model and prompt stay the caller's.
/// </remarks>
public sealed class T5PromptTask : ITextGenerationTask, IDisposable
{
    /// <summary>The prompt's file name inside a checkpoint folder.</summary>
    public const string PromptFileName = "prompt.safetensors";

    private readonly T5Model _model;
    private readonly SoftPrompt _prompt;
    private readonly ITextTokenizer _tokenizer;
    private readonly ExampleBatcher _batcher;
    private readonly ModelIdentity _identity;
    private readonly LabelSet? _labelWords;
    private readonly ulong _dropoutSeed;
    private readonly bool _dropout;
    private readonly AdamW _optimizer;

    /// <summary>Builds the optimiser over the prompt's groups.</summary>
    /// <param name="model">The frozen T5.</param>
    /// <param name="prompt">The prompt (PT or DePT) on the model's backend, at its width.</param>
    /// <param name="tokenizer">The model's tokenizer (to decode generations).</param>
    /// <param name="batcher">Encodes examples with targets (built without a label set).</param>
    /// <param name="identity">The model's identity, written into the prompt file.</param>
    /// <param name="optimizer">AdamW settings.</param>
    /// <param name="labelWords">The target texts of a classification task (e.g. "negative", "positive"), or null.</param>
    /// <param name="dropout">Apply the config's dropout while training.</param>
    /// <param name="dropoutSeed">Seed of the dropout masks.</param>
    public T5PromptTask(T5Model model, SoftPrompt prompt, ITextTokenizer tokenizer, ExampleBatcher batcher, ModelIdentity identity, AdamWSettings optimizer,
        LabelSet? labelWords = null, bool dropout = true, ulong dropoutSeed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(batcher);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (prompt.Backend != model.Backend) throw new ArgumentException("the prompt lives on another backend than the model.", nameof(prompt));
        if (prompt.Dim != model.Config.ModelDim) throw new ArgumentException($"the prompt has d={prompt.Dim}; the model's d_model is {model.Config.ModelDim}.", nameof(prompt));
        if (prompt is DecomposedPrompt dept && batcher.MaxInputLength > dept.MaxLength)
            throw new ArgumentException($"inputs are cut at {batcher.MaxInputLength} tokens but the DePT prompt's A has s={dept.MaxLength} rows; use a max length ≤ s.", nameof(batcher));
        _model = model;
        _prompt = prompt;
        _tokenizer = tokenizer;
        _batcher = batcher;
        _identity = identity;
        _labelWords = labelWords;
        _dropout = dropout;
        _dropoutSeed = dropoutSeed;
        _optimizer = new AdamW(model.Backend, prompt.OptimizerGroups(optimizer), optimizer);
        Metrics = GenerationScores.Kinds(labelWords);
    }

    /// <inheritdoc />
    public IBackend Backend => _model.Backend;

    /// <inheritdoc />
    public IOptimizer Optimizer => _optimizer;

    /// <inheritdoc />
    public IReadOnlyList<MetricKind> Metrics { get; }

    /// <inheritdoc />
    public EncodedBatch Encode(IReadOnlyList<Example> examples, ReadOnlySpan<int> indices) => _batcher.Encode(examples, indices);

    /// <inheritdoc />
    public float AccumulateGradients(EncodedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var targets = batch.Targets ?? throw new ArgumentException("the batch has no targets; this task trains on input and target text.", nameof(batch));
        var inputs = batch.Inputs;
        int rows = inputs.BatchSize, length = inputs.SequenceLength, m = _prompt.PromptLength;
        var labels = new int[targets.InputIds.Length];
        for (int i = 0; i < labels.Length; i++) labels[i] = targets.AttentionMask[i] == 0 ? T5Targets.IgnoreIndex : targets.InputIds[i];

        using var mask = Backend.UploadInt32(AttentionMasks.WithPromptRows(inputs.AttentionMask, rows, length, m), rows, m + length);
        using var embeds = Embed(inputs);
        using var t5Targets = T5Targets.FromLabels(Backend, _model.Config, labels, rows, targets.SequenceLength);
        var dropout = _dropout ? DropoutSettings.ForStep(_dropoutSeed, Optimizer.StepCount) : DropoutSettings.Off;
        using var pass = _model.ForwardTraining(embeds, mask, t5Targets, dropout);
        using (var dEmbeds = pass.Backward())
            Backend.PromptInputBackward(_prompt.Gradients, dEmbeds, _prompt.Parameters, null);
        return pass.Loss;
    }

    /// <summary>The batch's target tokens (padding excluded): the loss is their mean cross-entropy.</summary>
    /// <exception cref="ArgumentException">The batch has no targets.</exception>
    public int LossTermCount(EncodedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var targets = batch.Targets ?? throw new ArgumentException("the batch has no targets; this task trains on input and target text.", nameof(batch));
        int count = 0;
        foreach (int m in targets.AttentionMask) count += m != 0 ? 1 : 0;
        return count;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<MetricKind, double> Evaluate(IReadOnlyList<Example> examples, int batchSize) =>
        GenerationScores.Score(Generate(examples, batchSize), examples, _labelWords);

    /// <summary>Greedy generations (up to the batcher's target length) for every example, decoded, in order.</summary>
    /// <inheritdoc cref="ITextGenerationTask.Generate" path="/exception"/>
    public string[] Generate(IReadOnlyList<Example> examples, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (examples.Count == 0) throw new ArgumentException("there are no examples to generate for.", nameof(examples));
        var texts = new string[examples.Count];
        for (int start = 0; start < examples.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, examples.Count - start);
            var inputs = _tokenizer.EncodeBatch(Enumerable.Range(start, count).Select(i => examples[i].Input).ToList(), _batcher.MaxInputLength);
            int rows = inputs.BatchSize, length = inputs.SequenceLength, m = _prompt.PromptLength;
            using var mask = Backend.UploadInt32(AttentionMasks.WithPromptRows(inputs.AttentionMask, rows, length, m), rows, m + length);
            using var embeds = Embed(inputs);
            int[,] ids = _model.Generate(embeds, mask, _batcher.MaxTargetLength);
            for (int b = 0; b < rows; b++)
            {
                var row = new int[ids.GetLength(1) - 1];   // column 0 is the decoder start id
                for (int t = 0; t < row.Length; t++) row[t] = ids[b, t + 1];
                texts[start + b] = _tokenizer.Decode(row);
            }
        }
        return texts;
    }

    /// <inheritdoc />
    public void SaveParameters(string folder) => PromptFile.Save(Path.Combine(folder, PromptFileName), _prompt, _identity);

    /// <inheritdoc />
    public void LoadParameters(string folder) => PromptFile.LoadInto(Path.Combine(folder, PromptFileName), _prompt, _identity);

    /// <summary>Frees the optimiser's state.</summary>
    public void Dispose() => _optimizer.Dispose();

    private Tensors.Tensor Embed(TokenBatch inputs)
    {
        using var tokens = Backend.UploadInt32(inputs.InputIds, inputs.BatchSize, inputs.SequenceLength);
        return _prompt.EmbedInputs(tokens, _model.Weights.Shared, _model.DType);
    }
}
