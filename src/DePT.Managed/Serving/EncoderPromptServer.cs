using DePT.Backends;
using DePT.Checkpoints;
using DePT.Models.Bert;
using DePT.Prompts;
using DePT.Tensors;
using DePT.Tokenizers;
using DePT.Training.Classification;

namespace DePT.Serving;

/// <summary>
/// Serves many classification prompts on one frozen BERT-style encoder: each named prompt comes with its own
/// <see cref="ClassificationHead"/>, and a batch whose examples name different prompts runs one fused input pass
/// (per-example prompt index, Δ = scale·A·B computed once when the prompt was added) and one encoder pass per distinct
/// prompt length m; then each example's own head is applied to its mean-pooled vector. The pooling and heads are
/// those of <see cref="PromptClassifier"/>: the mean over the input's real tokens (not the prompt rows, not padding).
/// </summary>
/// <remarks>
/// Heads: prompt files hold P, A and B only — there is no head file format yet — so a classification prompt is added
/// together with a <see cref="ClassificationHead"/> object; the server keeps a copy of its W and b (the caller may
/// dispose theirs). Each head runs over all rows of its pass and only its own examples' rows are kept: heads are
/// tiny next to the encoder, and this needs no gather op.
/// Mixing shapes: as <see cref="T5PromptServer"/> — one pass per prompt length m; different s and vanilla PT prompts
/// (zero Δ) share a pass. Inputs are capped at max_position_embeddings − m tokens (and at s for DePT).
/// The server does not own the model or the tokenizer. Not thread-safe: one request at a time.
/// </remarks>
public sealed class EncoderPromptServer : IDisposable
{
    private readonly ServedPromptSet _prompts;
    private readonly Dictionary<string, ClassificationHead> _heads = new(StringComparer.Ordinal);

    /// <summary>Serves prompts on <paramref name="model"/>.</summary>
    /// <param name="model">The frozen encoder, loaded once.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="identity">The model's identity: prompt files made for another model are refused.</param>
    /// <param name="maxInputLength">The most input tokens per example, or null for max_position_embeddings − m.</param>
    public EncoderPromptServer(BertModel model, ITextTokenizer tokenizer, ModelIdentity identity, int? maxInputLength = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(identity);
        if (maxInputLength is { } cap) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cap, nameof(maxInputLength));
        if (identity.DModel != model.Config.HiddenSize)
            throw new ArgumentException($"The identity {identity} has d_model={identity.DModel}; the model's hidden_size is {model.Config.HiddenSize}.", nameof(identity));
        Model = model;
        Tokenizer = tokenizer;
        int positions = model.Config.MaxPositionEmbeddings;
        _prompts = new ServedPromptSet(model.Backend, model.Config.HiddenSize, identity,
            m => Math.Min(positions - m, maxInputLength ?? int.MaxValue));
    }

    /// <summary>The frozen encoder.</summary>
    public BertModel Model { get; }

    /// <summary>The tokenizer.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>The served prompts' names, in the order they were added.</summary>
    public IReadOnlyList<string> PromptNames => _prompts.Names;

    private IBackend Backend => Model.Backend;

    /// <summary>Reads a prompt file (PT or DePT) and serves it as <paramref name="name"/> with (a copy of) <paramref name="head"/>.</summary>
    /// <exception cref="PromptModelMismatchException">The prompt was trained on another model.</exception>
    /// <exception cref="ArgumentException">The name is taken, or the head does not fit the model.</exception>
    /// <inheritdoc cref="PromptFile.Read" path="/exception"/>
    public void AddPrompt(string name, string path, ClassificationHead head)
    {
        _prompts.CheckNewName(name);
        CheckHead(name, head);
        using var prompt = _prompts.Load(path);
        AddPrompt(name, prompt, head);
    }

    /// <summary>Serves a copy of <paramref name="prompt"/>'s current values and of <paramref name="head"/> as <paramref name="name"/> (Δ computed now, once).</summary>
    /// <exception cref="ArgumentException">The name is taken, or the prompt or head is on another backend or of another width.</exception>
    public void AddPrompt(string name, SoftPrompt prompt, ClassificationHead head)
    {
        _prompts.CheckNewName(name);
        CheckHead(name, head);
        var copy = new ClassificationHead(Backend, head.InputDim, head.ClassCount, seed: 0);
        try
        {
            Backend.Copy(copy.Weight, head.Weight);
            Backend.Copy(copy.Bias, head.Bias);
            _prompts.Add(name, prompt);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
        _heads.Add(name, copy);
    }

    /// <summary>Stops serving <paramref name="name"/> and its head; false when no such prompt is served.</summary>
    public bool RemovePrompt(string name)
    {
        if (!_prompts.Remove(name)) return false;
        _heads.Remove(name, out var head);
        head!.Dispose();
        return true;
    }

    /// <summary>The predicted class of each (prompt, text), in request order: the argmax of its logits, ties to the lowest index.</summary>
    /// <inheritdoc cref="ClassifyLogits" path="/exception"/>
    public int[] Classify(IReadOnlyList<(string PromptName, string Text)> requests)
    {
        float[][] logits = ClassifyLogits(requests);
        var classes = new int[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            int best = 0;
            for (int c = 1; c < logits[i].Length; c++)
                if (logits[i][c] > logits[i][best]) best = c;
            classes[i] = best;
        }
        return classes;
    }

    /// <summary>The logits of each (prompt, text) under its prompt's head (C of that head), in request order.</summary>
    /// <exception cref="KeyNotFoundException">A request names a prompt that is not served (the message lists those that are).</exception>
    public float[][] ClassifyLogits(IReadOnlyList<(string PromptName, string Text)> requests)
    {
        var batches = _prompts.Plan(requests, Tokenizer);
        var results = new float[requests.Count][];
        foreach (var batch in batches)
        {
            int rows = batch.ExampleIndices.Length;
            using var embeds = _prompts.Embed(batch, Model.Embeddings, Model.DType);
            using var attention = _prompts.Mask(batch, 1);
            using var pooling = _prompts.Mask(batch, 0);
            using var output = Model.Forward(embeds, attention);
            using var pooled = Model.Pool(output.LastHiddenState, pooling, PoolingKind.Mean);
            foreach (int slot in batch.Slots.Distinct())
            {
                var head = _heads[batch.Group.Members[slot].Name];
                using var logits = Backend.Allocate(DType.F32, rows, head.ClassCount);
                head.Forward(logits, pooled);
                float[] values = logits.ToFloatArray();
                for (int row = 0; row < rows; row++)
                    if (batch.Slots[row] == slot)
                        results[batch.ExampleIndices[row]] = values.AsSpan(row * head.ClassCount, head.ClassCount).ToArray();
            }
        }
        return results;
    }

    /// <summary>Frees the stacked prompts and the head copies; the model and tokenizer stay the caller's.</summary>
    public void Dispose()
    {
        _prompts.Dispose();
        foreach (var head in _heads.Values) head.Dispose();
        _heads.Clear();
    }

    private void CheckHead(string name, ClassificationHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (head.Backend != Backend)
            throw new ArgumentException($"The head of prompt '{name}' lives on another backend than the served model.", nameof(head));
        if (head.InputDim != Model.Config.HiddenSize)
            throw new ArgumentException($"The head of prompt '{name}' takes d={head.InputDim}; the model's hidden_size is {Model.Config.HiddenSize}.", nameof(head));
    }
}
