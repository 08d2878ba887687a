using DePT.Checkpoints;
using DePT.Models.Llama;
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
public sealed class CausalLmPromptServer : GenerativePromptServer<LlamaModel>
{
    /// <summary>The input length cap when none is given (tokens, the tokenizer's first token included).</summary>
    public const int DefaultMaxInputLength = 2048;

    /// <summary>Serves prompts on <paramref name="model"/>.</summary>
    /// <param name="model">The frozen model, loaded once.</param>
    /// <param name="tokenizer">Its tokenizer (text to ids and back).</param>
    /// <param name="identity">The model's identity: prompt files made for another model are refused.</param>
    /// <param name="maxInputLength">The most input tokens per example; DePT prompts cap it further at their s.</param>
    public CausalLmPromptServer(LlamaModel model, ITextTokenizer tokenizer, ModelIdentity identity, int maxInputLength = DefaultMaxInputLength)
        : base(model, tokenizer, identity, maxInputLength, static model => (model.Backend, model.Config.HiddenSize))
    {
    }

    /// <summary>Generation for each (prompt, text), as <see cref="GenerateTokenIds"/>, decoded to text.</summary>
    /// <inheritdoc cref="GenerateTokenIds" path="/exception"/>
    public string[] Generate(IReadOnlyList<(string PromptName, string Text)> requests, GenerationOptions options) =>
        Decode(GenerateTokenIds(requests, options));

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
        foreach (var batch in Prompts.Plan(requests, Tokenizer, leftPadded: true))
        {
            var tokens = batch.Tokens;
            using var causal = CausalLmBatch.Create(Model.Backend, tokens.AttentionMask, tokens.BatchSize, tokens.SequenceLength, batch.PromptLength);
            using var embeds = Prompts.Embed(batch, Model.Embeddings, Model.DType, causal.RowOffsets);
            int[,] generated = Model.Generate(embeds, causal, options);
            for (int row = 0; row < batch.ExampleIndices.Length; row++)
                results[batch.ExampleIndices[row]] = UntilStop(generated, row, first: 0, stop);
        }
        return results;
    }
}
