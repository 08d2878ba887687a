using DePT.Checkpoints;
using DePT.Models.Llama;
using DePT.Prompts;
using DePT.Tokenizers;

namespace DePT.Serving;

/// <summary>
/// Serves many prompts on one frozen LLaMA-family model: add named prompts (prompt files or in-memory prompts), then
/// generate for a batch whose examples name different prompts. As <see cref="T5PromptServer"/> does for T5: Δ = scale·A·B
/// once per DePT prompt, one fused input pass and one generation per distinct prompt length m. The examples are
/// left-padded (generation continues every row after its last token) and the input op's row offsets give each
/// example's first real token row 0 of Δ, so a served example sees the Δ rows it was trained with, whatever its padding.
/// </summary>
/// <remarks>
/// The server copies what it serves (the caller may dispose a prompt after adding it) and does not own the model or the
/// tokenizer. Not thread-safe: one request at a time.
/// </remarks>
public sealed class CausalLmPromptServer : IDisposable
{
    /// <summary>The input length cap when none is given (tokens, the tokenizer's first token included).</summary>
    public const int DefaultMaxInputLength = 2048;

    private readonly ServedPromptSet _prompts;

    /// <summary>Serves prompts on <paramref name="model"/>.</summary>
    /// <param name="model">The frozen model, loaded once.</param>
    /// <param name="tokenizer">Its tokenizer (text to ids and back).</param>
    /// <param name="identity">The model's identity: prompt files made for another model are refused.</param>
    /// <param name="maxInputLength">The most input tokens per example; DePT prompts cap it further at their s.</param>
    public CausalLmPromptServer(LlamaModel model, ITextTokenizer tokenizer, ModelIdentity identity, int maxInputLength = DefaultMaxInputLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxInputLength);
        if (identity.DModel != model.Config.HiddenSize)
            throw new ArgumentException($"The identity {identity} has d_model={identity.DModel}; the model's is {model.Config.HiddenSize}.", nameof(identity));
        Model = model;
        Tokenizer = tokenizer;
        _prompts = new ServedPromptSet(model.Backend, model.Config.HiddenSize, identity, _ => maxInputLength);
    }

    /// <summary>The frozen model.</summary>
    public LlamaModel Model { get; }

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

    /// <summary>Generation for each (prompt, text), as <see cref="GenerateTokenIds"/>, decoded to text.</summary>
    /// <inheritdoc cref="GenerateTokenIds" path="/exception"/>
    public string[] Generate(IReadOnlyList<(string PromptName, string Text)> requests, GenerationOptions options)
    {
        int[][] ids = GenerateTokenIds(requests, options);
        var texts = new string[ids.Length];
        for (int i = 0; i < ids.Length; i++) texts[i] = Tokenizer.Decode(ids[i]);
        return texts;
    }

    /// <summary>
    /// <see cref="LlamaModel.Generate"/> for each (prompt, text), in request order: each example's new ids up to and
    /// including its first stop token (or all of them when it emits none). Greedy results are what the example alone
    /// with its prompt would give; sampled ones depend on the batch (the generator is shared by its rows).
    /// </summary>
    /// <exception cref="KeyNotFoundException">A request names a prompt that is not served (the message lists those that are).</exception>
    public int[][] GenerateTokenIds(IReadOnlyList<(string PromptName, string Text)> requests, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(options);
        var stop = new HashSet<int>(options.StopTokenIds ?? Model.Config.EosTokenIds);
        var results = new int[requests.Count][];
        foreach (var batch in _prompts.Plan(requests, Tokenizer, leftPadded: true))
        {
            var tokens = batch.Tokens;
            using var causal = CausalLmBatch.Create(Model.Backend, tokens.AttentionMask, tokens.BatchSize, tokens.SequenceLength, batch.PromptLength);
            using var embeds = _prompts.Embed(batch, Model.Embeddings, Model.DType, causal.RowOffsets);
            int[,] generated = Model.Generate(embeds, causal, options);
            for (int row = 0; row < batch.ExampleIndices.Length; row++)
                results[batch.ExampleIndices[row]] = UntilStop(generated, row, stop);
        }
        return results;
    }

    /// <summary>Frees the stacked prompts; the model and tokenizer stay the caller's.</summary>
    public void Dispose() => _prompts.Dispose();

    private static int[] UntilStop(int[,] generated, int row, HashSet<int> stop)
    {
        var ids = new List<int>(generated.GetLength(1));
        for (int t = 0; t < generated.GetLength(1); t++)
        {
            ids.Add(generated[row, t]);
            if (stop.Contains(generated[row, t])) break;
        }
        return [.. ids];
    }
}
