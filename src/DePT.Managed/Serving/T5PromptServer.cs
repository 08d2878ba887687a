using DePT.Checkpoints;
using DePT.Models.T5;
using DePT.Prompts;
using DePT.Tokenizers;

namespace DePT.Serving;

/// <summary>
/// Serves many prompts on one frozen T5: add named prompts (prompt files or in-memory prompts), then generate for a
/// batch whose examples name different prompts. Each DePT prompt's Δ = scale·A·B is computed once when it is added;
/// a request runs one fused input pass (<see cref="Backends.IBackend.PromptInputForward"/> with a per-example prompt
/// index) and one encoder/decoder pass per distinct prompt length m among its examples — one pass when the served
/// prompts share m.
/// </summary>
/// <remarks>
/// Mixing shapes: prompts of different m cannot share a sequence layout, so a request is split by m into separate
/// passes and the results are put back in request order. Different s (rows of A) and vanilla PT prompts mix freely
/// within one m: Δ is stacked to the largest token limit, with zero rows past a prompt's own s and all-zero rows for
/// PT (which has no Δ), and each example is truncated to its own prompt's limit (s for DePT) before padding.
/// The server copies what it serves (the caller may dispose a prompt after adding it) and does not own the model or
/// the tokenizer. Not thread-safe: one request at a time.
/// </remarks>
public sealed class T5PromptServer : IDisposable
{
    /// <summary>The input length cap when none is given (tokens, &lt;/s&gt; included).</summary>
    public const int DefaultMaxInputLength = 512;

    private readonly ServedPromptSet _prompts;

    /// <summary>Serves prompts on <paramref name="model"/>.</summary>
    /// <param name="model">The frozen model, loaded once.</param>
    /// <param name="tokenizer">Its tokenizer (text to ids and back).</param>
    /// <param name="identity">The model's identity: prompt files made for another model are refused.</param>
    /// <param name="maxInputLength">The most input tokens per example; DePT prompts cap it further at their s.</param>
    public T5PromptServer(T5Model model, ITextTokenizer tokenizer, ModelIdentity identity, int maxInputLength = DefaultMaxInputLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxInputLength);
        if (identity.DModel != model.Config.ModelDim)
            throw new ArgumentException($"The identity {identity} has d_model={identity.DModel}; the model's is {model.Config.ModelDim}.", nameof(identity));
        Model = model;
        Tokenizer = tokenizer;
        _prompts = new ServedPromptSet(model.Backend, model.Config.ModelDim, identity, _ => maxInputLength);
    }

    /// <summary>The frozen model.</summary>
    public T5Model Model { get; }

    /// <summary>The tokenizer.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>The served prompts' names, in the order they were added.</summary>
    public IReadOnlyList<string> PromptNames => _prompts.Names;

    /// <summary>Reads a prompt file (PT or DePT) and serves it as <paramref name="name"/>.</summary>
    /// <exception cref="PromptModelMismatchException">The prompt was trained on another model.</exception>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    /// <inheritdoc cref="PromptFile.Read" path="/exception"/>
    public void AddPrompt(string name, string path)
    {
        _prompts.CheckNewName(name);
        using var prompt = _prompts.Load(path);
        _prompts.Add(name, prompt);
    }

    /// <summary>Serves a copy of <paramref name="prompt"/>'s current values as <paramref name="name"/> (Δ computed now, once).</summary>
    /// <exception cref="ArgumentException">The name is taken, or the prompt is on another backend or of another width.</exception>
    public void AddPrompt(string name, SoftPrompt prompt) => _prompts.Add(name, prompt);

    /// <summary>Stops serving <paramref name="name"/>; false when no such prompt is served.</summary>
    public bool RemovePrompt(string name) => _prompts.Remove(name);

    /// <summary>Greedy generation for each (prompt, text), as <see cref="GenerateTokenIds"/>, decoded to text.</summary>
    /// <inheritdoc cref="GenerateTokenIds" path="/exception"/>
    public string[] Generate(IReadOnlyList<(string PromptName, string Text)> requests, int maxNewTokens)
    {
        int[][] ids = GenerateTokenIds(requests, maxNewTokens);
        var texts = new string[ids.Length];
        for (int i = 0; i < ids.Length; i++) texts[i] = Tokenizer.Decode(ids[i]);
        return texts;
    }

    /// <summary>
    /// Greedy generation (<see cref="T5Model.Generate"/>) for each (prompt, text), in request order: the new ids of
    /// each example without the decoder start id, up to and including its first end-of-sequence id (or all
    /// <paramref name="maxNewTokens"/> when it emits none) — what the example alone with its prompt would give.
    /// </summary>
    /// <exception cref="KeyNotFoundException">A request names a prompt that is not served (the message lists those that are).</exception>
    public int[][] GenerateTokenIds(IReadOnlyList<(string PromptName, string Text)> requests, int maxNewTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNewTokens);
        var batches = _prompts.Plan(requests, Tokenizer);
        var results = new int[requests.Count][];
        foreach (var batch in batches)
        {
            using var embeds = _prompts.Embed(batch, Model.Embeddings, Model.DType);
            using var mask = _prompts.Mask(batch, 1);
            int[,] generated = Model.Generate(embeds, mask, maxNewTokens);
            for (int row = 0; row < batch.ExampleIndices.Length; row++)
                results[batch.ExampleIndices[row]] = UntilEnd(generated, row, Model.Config.EosTokenId);
        }
        return results;
    }

    /// <summary>Frees the stacked prompts; the model and tokenizer stay the caller's.</summary>
    public void Dispose() => _prompts.Dispose();

    private static int[] UntilEnd(int[,] generated, int row, int eos)
    {
        int steps = generated.GetLength(1) - 1;
        var ids = new List<int>(steps);
        for (int t = 1; t <= steps; t++)
        {
            ids.Add(generated[row, t]);
            if (generated[row, t] == eos) break;
        }
        return [.. ids];
    }
}
