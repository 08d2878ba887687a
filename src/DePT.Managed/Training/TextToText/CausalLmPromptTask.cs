using DePT.Backends;
using DePT.Checkpoints;
using DePT.Data;
using DePT.Metrics;
using DePT.Models.Llama;
using DePT.Prompts;
using DePT.Tensors;
using DePT.Tokenizers;

namespace DePT.Training.TextToText;

/// <summary>
/// Prompt tuning (vanilla or DePT) of a frozen LLaMA-family causal LM on input/target text, as PEFT does it: each
/// sequence is the prompt rows, the input's tokens, then the target's tokens and the end-of-sequence token, with the loss
/// on the target part only (labels −100 on the prompt and the input). Evaluation continues the left-padded inputs
/// greedily (row offsets keep DePT's Δ rows on the real tokens) and scores the text as <see cref="T5PromptTask"/> does.
/// </summary>
/// <remarks>
/// The batcher encodes inputs and targets separately; a target's leading first token (the tokenizer's &lt;s&gt; or
/// &lt;|begin_of_text|&gt;, when the tokenizer is a <see cref="CausalLmTokenizer"/>) is dropped, since the target continues
/// the sequence. No dropout (the family trains without it). Saved as <see cref="T5PromptTask.PromptFileName"/>. The task
/// owns its optimiser; the model and prompt stay the caller's.
/// </remarks>
public sealed class CausalLmPromptTask : ITextGenerationTask, IDisposable
{
    private readonly LlamaModel _model;
    private readonly SoftPrompt _prompt;
    private readonly ITextTokenizer _tokenizer;
    private readonly ExampleBatcher _batcher;
    private readonly ModelIdentity _identity;
    private readonly LabelSet? _labelWords;
    private readonly AdamW _optimizer;
    private readonly int? _firstTokenId;
    private readonly IReadOnlyList<int> _stopTokenIds;

    /// <summary>Builds the optimiser over the prompt's groups.</summary>
    /// <param name="model">The frozen causal LM.</param>
    /// <param name="prompt">The prompt (PT or DePT) on the model's backend, at its width.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="batcher">Encodes examples with targets (built without a label set).</param>
    /// <param name="identity">The model's identity, written into the prompt file.</param>
    /// <param name="optimizer">AdamW settings.</param>
    /// <param name="labelWords">The target texts of a classification task, or null.</param>
    public CausalLmPromptTask(LlamaModel model, SoftPrompt prompt, ITextTokenizer tokenizer, ExampleBatcher batcher, ModelIdentity identity, AdamWSettings optimizer,
        LabelSet? labelWords = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(batcher);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (prompt.Backend != model.Backend) throw new ArgumentException("the prompt lives on another backend than the model.", nameof(prompt));
        if (prompt.Dim != model.Config.HiddenSize) throw new ArgumentException($"the prompt has d={prompt.Dim}; the model's hidden_size is {model.Config.HiddenSize}.", nameof(prompt));
        // the input, the target and the end token all take rows of A
        int longest = batcher.MaxInputLength + batcher.MaxTargetLength + 1;
        if (prompt is DecomposedPrompt dept && longest > dept.MaxLength)
            throw new ArgumentException($"a sequence takes up to {longest} tokens (input {batcher.MaxInputLength} + target {batcher.MaxTargetLength} + end) but the DePT prompt's A has s={dept.MaxLength} rows.", nameof(batcher));
        _model = model;
        _prompt = prompt;
        _tokenizer = tokenizer;
        _batcher = batcher;
        _identity = identity;
        _labelWords = labelWords;
        _optimizer = new AdamW(model.Backend, prompt.OptimizerGroups(optimizer), optimizer);
        _firstTokenId = (tokenizer as CausalLmTokenizer)?.FirstTokenId;
        _stopTokenIds = model.Config.EosTokenIds.Count > 0 ? model.Config.EosTokenIds
            : (tokenizer as CausalLmTokenizer)?.EndOfSequenceTokenId is int end ? [end] : [];
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
        int rows = inputs.BatchSize;
        var sequences = new int[rows][];
        var scored = new int[rows][];
        for (int b = 0; b < rows; b++)
        {
            int[] input = inputs.Row(b)[..inputs.Lengths[b]].ToArray();
            var target = targets.Row(b)[..targets.Lengths[b]].ToArray().AsEnumerable();
            if (_firstTokenId is int first && target.FirstOrDefault(-1) == first) target = target.Skip(1);
            int[] answer = [.. target, .. _stopTokenIds.Take(1)];
            sequences[b] = [.. input, .. answer];
            scored[b] = [.. Enumerable.Repeat(CausalLmBatch.IgnoreIndex, input.Length), .. answer];
        }
        int length = sequences.Max(s => s.Length);
        var ids = TokenBatchBuilder.RightPadded(sequences, length, _tokenizer.PaddingTokenId);
        var labels = TokenBatchBuilder.RightPadded(scored, length, CausalLmBatch.IgnoreIndex).InputIds;

        using var causal = CausalLmBatch.Create(Backend, ids.AttentionMask, labels, rows, length, _model.Config.VocabSize, _prompt.PromptLength);
        using var embeds = Embed(ids, causal.RowOffsets);
        using var pass = _model.ForwardTraining(embeds, causal);
        using (var dEmbeds = pass.Backward())
            Backend.PromptInputBackward(_prompt.Gradients, dEmbeds, _prompt.Parameters, null, causal.RowOffsets);
        return pass.Loss;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<MetricKind, double> Evaluate(IReadOnlyList<Example> examples, int batchSize) =>
        GenerationScores.Score(Generate(examples, batchSize), examples, _labelWords);

    /// <summary>Greedy continuations (up to the batcher's target length, ending at an end token) of every example's input, decoded, in order.</summary>
    /// <inheritdoc cref="ITextGenerationTask.Generate" path="/exception"/>
    public string[] Generate(IReadOnlyList<Example> examples, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (examples.Count == 0) throw new ArgumentException("there are no examples to generate for.", nameof(examples));
        var options = new GenerationOptions(_batcher.MaxTargetLength, StopTokenIds: _stopTokenIds);
        var stop = new HashSet<int>(_stopTokenIds);
        var texts = new string[examples.Count];
        for (int start = 0; start < examples.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, examples.Count - start);
            var rows = Enumerable.Range(start, count).Select(i => _tokenizer.Encode(examples[i].Input, _batcher.MaxInputLength)).ToArray();
            var inputs = TokenBatchBuilder.LeftPadded(rows, rows.Max(r => r.Length), _tokenizer.PaddingTokenId);
            using var causal = CausalLmBatch.Create(Backend, inputs.AttentionMask, count, inputs.SequenceLength, _prompt.PromptLength);
            using var embeds = Embed(inputs, causal.RowOffsets);
            int[,] ids = _model.Generate(embeds, causal, options);
            for (int b = 0; b < count; b++)
            {
                var answer = Enumerable.Range(0, ids.GetLength(1)).Select(t => ids[b, t]).TakeWhile(id => !stop.Contains(id)).ToArray();
                texts[start + b] = _tokenizer.Decode(answer);
            }
        }
        return texts;
    }

    /// <inheritdoc />
    public void SaveParameters(string folder) => PromptFile.Save(Path.Combine(folder, T5PromptTask.PromptFileName), _prompt, _identity);

    /// <inheritdoc />
    public void LoadParameters(string folder) => PromptFile.LoadInto(Path.Combine(folder, T5PromptTask.PromptFileName), _prompt, _identity);

    /// <summary>Frees the optimiser's state.</summary>
    public void Dispose() => _optimizer.Dispose();

    private Tensor Embed(TokenBatch tokens, Tensor rowOffsets)
    {
        using var ids = Backend.UploadInt32(tokens.InputIds, tokens.BatchSize, tokens.SequenceLength);
        return _prompt.EmbedInputs(ids, _model.Embeddings, _model.DType, rowOffsets);
    }
}
