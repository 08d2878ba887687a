namespace DePT.Models.Llama;

/// <summary>
/// How <see cref="LlamaModel.Generate"/> decodes: greedy when <see cref="Temperature"/> is 0, else sampling from
/// softmax(logits / temperature) restricted to the smallest set of tokens whose probability reaches
/// <see cref="TopP"/> (nucleus sampling, as transformers' TopPLogitsWarper), drawn with a generator seeded by
/// <see cref="Seed"/>. A row ends when it emits one of <see cref="StopTokenIds"/> (the config's eos ids when null) and
/// is filled with <see cref="PadTokenId"/> after (the config's pad id, else its first eos id, else 0).
/// </summary>
/// <param name="MaxNewTokens">At most this many new tokens per row.</param>
/// <param name="Temperature">0: greedy (argmax); &gt; 0: the sampling temperature.</param>
/// <param name="TopP">In (0, 1]: the probability mass sampling keeps; 1 keeps every token.</param>
/// <param name="Seed">Seeds the sampler; the same seed, model and inputs give the same tokens.</param>
/// <param name="StopTokenIds">Ids that end a row; null: the config's <c>eos_token_id</c>.</param>
/// <param name="PadTokenId">The id written after a row ended; null: the config's.</param>
public sealed record GenerationOptions(int MaxNewTokens, float Temperature = 0f, float TopP = 1f, int Seed = 0,
    IReadOnlyList<int>? StopTokenIds = null, int? PadTokenId = null)
{
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxNewTokens);
        if (!(Temperature >= 0) || float.IsInfinity(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "The temperature is 0 (greedy) or a positive finite number.");
        if (!(TopP > 0 && TopP <= 1))
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top-p lies in (0, 1].");
    }
}
