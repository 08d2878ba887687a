using DePT.Backends;
using DePT.Data;
using DePT.Models.Bert;
using DePT.Models.Runtime;
using DePT.Prompts;
using DePT.Tensors;
using DePT.Tokenizers;

namespace DePT.Training.Classification;

/// <summary>
/// Sequence classification on a frozen BERT-style encoder: an optional soft prompt (vanilla PT or DePT; null trains
/// the head alone, the floor a prompt must beat), mean pooling and a <see cref="ClassificationHead"/>. One step is
/// prompt input (word embeddings, scale 1) → <see cref="BertModel.ForwardTraining"/> → mean pool → head → softmax
/// cross-entropy (mean over the batch) → head gradients → pool backward → encoder backward → prompt-input backward →
/// one AdamW step over the head group and the prompt's groups.
/// </summary>
/// <remarks>
/// Pooling: the mean runs over the input's real tokens only ([CLS], text, [SEP]; not padding, not the m prompt rows),
/// as sentence-transformers pools a plain input, so the pooled vector is the sentence embedding the encoder was
/// trained to give and the prompt acts through attention. The prompt rows are attended to (key mask 1).
/// Determinism: with dropout on, step k draws its masks from a seed mixed from <see cref="PromptClassifierOptions.DropoutSeed"/>
/// and k (the optimiser's step count), so two runs from the same seeds give the same losses on the same backend.
/// The classifier owns its optimiser only; the encoder, prompt and head stay the caller's to dispose.
/// </remarks>
public sealed class PromptClassifier : IDisposable
{
    private const int NoIgnoredLabel = -1;   // labels are checked to lie in [0, C), so no row is ever ignored
    private readonly PromptClassifierOptions _options;

    /// <summary>Checks that the parts fit and builds the optimiser over the head and prompt groups.</summary>
    /// <exception cref="ArgumentException">The parts live on other backends or the widths differ.</exception>
    public PromptClassifier(BertModel encoder, SoftPrompt? prompt, ClassificationHead head, PromptClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Optimizer, nameof(options));
        int d = encoder.Config.HiddenSize;
        if (head.Backend != encoder.Backend)
            throw new ArgumentException("PromptClassifier: the head lives on another backend than the encoder.", nameof(head));
        if (head.InputDim != d)
            throw new ArgumentException($"PromptClassifier: the head takes d={head.InputDim}; the encoder's hidden_size is {d}.", nameof(head));
        if (prompt is not null)
        {
            if (prompt.Backend != encoder.Backend)
                throw new ArgumentException("PromptClassifier: the prompt lives on another backend than the encoder.", nameof(prompt));
            if (prompt.Dim != d)
                throw new ArgumentException($"PromptClassifier: the prompt has d={prompt.Dim}; the encoder's hidden_size is {d}.", nameof(prompt));
        }
        Encoder = encoder;
        Prompt = prompt;
        Head = head;
        _options = options;
        var groups = new List<ParameterGroup> { head.OptimizerGroup(options.HeadLearningRate) };
        if (prompt is not null) groups.AddRange(prompt.OptimizerGroups(options.Optimizer));
        Optimizer = new AdamW(encoder.Backend, groups, options.Optimizer);
    }

    /// <summary>The frozen encoder.</summary>
    public BertModel Encoder { get; }

    /// <summary>The soft prompt, or null for head-only training.</summary>
    public SoftPrompt? Prompt { get; }

    /// <summary>The head.</summary>
    public ClassificationHead Head { get; }

    /// <summary>The optimiser over the head group and the prompt's groups (its state is what a checkpoint saves).</summary>
    public AdamW Optimizer { get; }

    private IBackend Backend => Encoder.Backend;

    /// <summary>One training step on a labelled batch; returns the mean cross-entropy before the update.</summary>
    /// <exception cref="ArgumentException">The batch has no labels, or a label is outside [0, C).</exception>
    public float TrainStep(EncodedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var labels = batch.Labels ?? throw new ArgumentException("PromptClassifier.TrainStep: the batch has no labels (was the batcher given a LabelSet?).", nameof(batch));
        return TrainStep(batch.Inputs, labels);
    }

    /// <summary>One training step (<see cref="AccumulateGradients"/>, then one optimiser step); returns the mean cross-entropy of the batch before the update.</summary>
    /// <param name="inputs">Token ids and attention mask (B, L).</param>
    /// <param name="labels">B class indices in [0, C).</param>
    public float TrainStep(TokenBatch inputs, ReadOnlySpan<int> labels)
    {
        float loss = AccumulateGradients(inputs, labels);
        Optimizer.Step();
        return loss;
    }

    /// <summary>
    /// Forward and backward without the update: the gradients of the mean cross-entropy are added (+=) into the head's
    /// and the prompt's gradients (for accumulation over several batches, or to inspect them); returns the loss.
    /// Dropout uses the seed of the optimiser's next step.
    /// </summary>
    /// <inheritdoc cref="TrainStep(TokenBatch, ReadOnlySpan{int})" path="/param"/>
    public float AccumulateGradients(TokenBatch inputs, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        CheckLabels(inputs, labels);
        int batch = inputs.BatchSize, d = Encoder.Config.HiddenSize;
        var dropout = _options.Dropout ? DropoutSettings.ForStep(_options.DropoutSeed, Optimizer.StepCount) : DropoutSettings.Off;

        using var tokens = Backend.UploadInt32(inputs.InputIds, batch, inputs.SequenceLength);
        using var masks = Masks(inputs);
        using var embeds = Embed(tokens);
        using var pass = Encoder.ForwardTraining(embeds, masks.Attention, null, withPooler: false, dropout);
        using var pooled = Encoder.Pool(pass.LastHiddenState, masks.Pooling, PoolingKind.Mean);
        using var logits = Backend.Allocate(DType.F32, batch, Head.ClassCount);
        using var losses = Backend.Allocate(DType.F32, batch);
        using var labelTensor = Backend.UploadInt32(labels, batch);
        Head.Forward(logits, pooled);
        // the mean over the batch: each row's gradient carries 1/B; the logits become d loss/d logits
        Backend.SoftmaxCrossEntropy(losses, logits, labelTensor, NoIgnoredLabel, 1f / batch);

        if (Prompt is null)
        {
            Head.Backward(null, logits, pooled);   // nothing below the head trains
        }
        else
        {
            using var dPooled = Backend.Allocate(pooled.DType, batch, d);
            Head.Backward(dPooled, logits, pooled);
            using var dHidden = Backend.Allocate(pass.LastHiddenState.DType, pass.LastHiddenState.Shape.ToArray());
            Backend.PoolBackward(dHidden, dPooled, masks.Pooling, PoolingKind.Mean);
            using var dEmbeds = pass.Backward(dHidden);
            Backend.PromptInputBackward(Prompt.Gradients, dEmbeds, Prompt.Parameters, null);
        }

        float[] values = losses.ToFloatArray();
        double sum = 0;
        foreach (float value in values) sum += value;
        return (float)(sum / batch);
    }

    /// <summary>The predicted class of each row (argmax of the logits, no dropout).</summary>
    public int[] Predict(TokenBatch inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        CheckInputs(inputs);
        int batch = inputs.BatchSize;
        using var tokens = Backend.UploadInt32(inputs.InputIds, batch, inputs.SequenceLength);
        using var masks = Masks(inputs);
        using var embeds = Embed(tokens);
        using var output = Encoder.Forward(embeds, masks.Attention);
        using var pooled = Encoder.Pool(output.LastHiddenState, masks.Pooling, PoolingKind.Mean);
        using var logits = Backend.Allocate(DType.F32, batch, Head.ClassCount);
        using var predictions = Backend.Allocate(DType.I32, batch);
        Head.Forward(logits, pooled);
        Backend.ArgMax(predictions, logits);
        return predictions.ToInt32Array();
    }

    /// <summary>Accuracy over labelled batches: the fraction of rows whose prediction equals the label.</summary>
    /// <exception cref="ArgumentException">A batch has no labels, or there are no rows.</exception>
    public double Evaluate(IEnumerable<EncodedBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        long correct = 0, total = 0;
        foreach (var batch in batches)
        {
            var labels = batch.Labels ?? throw new ArgumentException("PromptClassifier.Evaluate: a batch has no labels.", nameof(batches));
            int[] predicted = Predict(batch.Inputs);
            for (int i = 0; i < predicted.Length; i++)
                if (predicted[i] == labels[i]) correct++;
            total += predicted.Length;
        }
        if (total == 0) throw new ArgumentException("PromptClassifier.Evaluate: there are no examples to evaluate.", nameof(batches));
        return (double)correct / total;
    }

    /// <summary>Accuracy over labelled examples, encoded by <paramref name="batcher"/> (built with the task's LabelSet) in order, <paramref name="batchSize"/> at a time.</summary>
    public double Evaluate(IReadOnlyList<Example> examples, ExampleBatcher batcher, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(batcher);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return Evaluate(Chunks(examples, batcher, batchSize));
    }

    /// <summary>Frees the optimiser's state.</summary>
    public void Dispose() => Optimizer.Dispose();

    private static IEnumerable<EncodedBatch> Chunks(IReadOnlyList<Example> examples, ExampleBatcher batcher, int batchSize)
    {
        for (int start = 0; start < examples.Count; start += batchSize)
        {
            var chunk = new Example[Math.Min(batchSize, examples.Count - start)];
            for (int i = 0; i < chunk.Length; i++) chunk[i] = examples[start + i];
            yield return batcher.Encode(chunk);
        }
    }

    private void CheckInputs(TokenBatch inputs)
    {
        int length = inputs.SequenceLength, promptLength = Prompt?.PromptLength ?? 0;
        if (inputs.BatchSize < 1 || length < 1)
            throw new ArgumentException($"PromptClassifier: the batch is {inputs.BatchSize}×{length}; expected at least one row and one token.", nameof(inputs));
        if (promptLength + length > Encoder.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"PromptClassifier: m={promptLength} prompt rows + L={length} tokens exceed max_position_embeddings={Encoder.Config.MaxPositionEmbeddings}; truncate the input to {Encoder.Config.MaxPositionEmbeddings - promptLength} tokens.", nameof(inputs));
        if (Prompt is DecomposedPrompt dept && length > dept.MaxLength)
            throw new ArgumentException($"PromptClassifier: L={length} tokens exceed the DePT prompt's s={dept.MaxLength} (rows of A); truncate the input to s.", nameof(inputs));
    }

    private void CheckLabels(TokenBatch inputs, ReadOnlySpan<int> labels)
    {
        CheckInputs(inputs);
        if (labels.Length != inputs.BatchSize)
            throw new ArgumentException($"PromptClassifier: {labels.Length} labels for a batch of {inputs.BatchSize} rows.", nameof(labels));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)Head.ClassCount)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"PromptClassifier: label {labels[i]} of row {i} is outside [0, {Head.ClassCount}).");
    }

    private Tensor Embed(Tensor tokens) =>
        Prompt is null ? Encoder.EmbedTokens(tokens) : Prompt.EmbedInputs(tokens, Encoder.Embeddings, Encoder.DType);

    /// <summary>The key mask (prompt rows 1, then the attention mask) and the pooling mask (prompt rows 0, then the attention mask), both (B, m+L).</summary>
    private InputMasks Masks(TokenBatch inputs)
    {
        int batch = inputs.BatchSize, length = inputs.SequenceLength, promptLength = Prompt?.PromptLength ?? 0;
        var pooling = Backend.UploadInt32(AttentionMasks.WithPromptRows(inputs.AttentionMask, batch, length, promptLength, 0), batch, promptLength + length);
        if (promptLength == 0) return new InputMasks(pooling, pooling);
        try
        {
            return new InputMasks(Backend.UploadInt32(AttentionMasks.WithPromptRows(inputs.AttentionMask, batch, length, promptLength), batch, promptLength + length), pooling);
        }
        catch
        {
            pooling.Dispose();
            throw;
        }
    }

    /// <summary>The two masks of a batch; one tensor when there is no prompt.</summary>
    private sealed record InputMasks(Tensor Attention, Tensor Pooling) : IDisposable
    {
        public void Dispose()
        {
            Pooling.Dispose();
            if (!ReferenceEquals(Attention, Pooling)) Attention.Dispose();
        }
    }
}
