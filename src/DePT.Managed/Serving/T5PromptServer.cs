using DePT.Checkpoints;
using DePT.Models.T5;
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
public sealed class T5PromptServer : GenerativePromptServer<T5Model>
{
    /// <summary>The input length cap when none is given (tokens, &lt;/s&gt; included).</summary>
    public const int DefaultMaxInputLength = 512;

    /// <summary>Serves prompts on <paramref name="model"/>.</summary>
    /// <param name="model">The frozen model, loaded once.</param>
    /// <param name="tokenizer">Its tokenizer (text to ids and back).</param>
    /// <param name="identity">The model's identity: prompt files made for another model are refused.</param>
    /// <param name="maxInputLength">The most input tokens per example; DePT prompts cap it further at their s.</param>
    public T5PromptServer(T5Model model, ITextTokenizer tokenizer, ModelIdentity identity, int maxInputLength = DefaultMaxInputLength)
        : base(model, tokenizer, identity, maxInputLength, static model => (model.Backend, model.Config.ModelDim))
    {
    }

    /// <summary>Greedy generation for each (prompt, text), as <see cref="GenerateTokenIds"/>, decoded to text.</summary>
    /// <inheritdoc cref="GenerateTokenIds" path="/exception"/>
    public string[] Generate(IReadOnlyList<(string PromptName, string Text)> requests, int maxNewTokens) =>
        Decode(GenerateTokenIds(requests, maxNewTokens));

    /// <summary>
    /// Greedy generation (<see cref="T5Model.Generate"/>) for each (prompt, text), in request order: the new ids of
    /// each example without the decoder start id, up to and including its first end-of-sequence id (or all
    /// <paramref name="maxNewTokens"/> when it emits none) — what the example alone with its prompt would give.
    /// </summary>
    /// <exception cref="KeyNotFoundException">A request names a prompt that is not served (the message lists those that are).</exception>
    public int[][] GenerateTokenIds(IReadOnlyList<(string PromptName, string Text)> requests, int maxNewTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNewTokens);
        var batches = Prompts.Plan(requests, Tokenizer);
        var results = new int[requests.Count][];
        var stop = new HashSet<int> { Model.Config.EosTokenId };
        foreach (var batch in batches)
        {
            using var embeds = Prompts.Embed(batch, Model.Embeddings, Model.DType);
            using var mask = Prompts.Mask(batch, 1);
            int[,] generated = Model.Generate(embeds, mask, maxNewTokens);
            for (int row = 0; row < batch.ExampleIndices.Length; row++)
                results[batch.ExampleIndices[row]] = UntilStop(generated, row, first: 1, stop);
        }
        return results;
    }
}
