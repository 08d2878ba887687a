namespace DePT.Backends;

/// <summary>
/// How <see cref="IBackend.Attention"/> runs: query heads, the score scale (1 for T5, 1/√dh for BERT and LLaMA), causal
/// masking (query i sees keys ≤ i + QueryOffset), how many key rows of the cache are live (0: all), and the key/value
/// heads of grouped-query attention (0: as many as query heads; else a divisor of <see cref="Heads"/>, query head h
/// reading key/value head h / (Heads / KeyValueHeads)).
/// </summary>
public readonly record struct AttentionOptions(int Heads, float Scale = 1f, bool Causal = false, int KeyLength = 0, int QueryOffset = 0, int KeyValueHeads = 0)
{
    /// <summary>The key/value heads in effect: <see cref="KeyValueHeads"/>, or <see cref="Heads"/> when that is 0.</summary>
    public int KeyValueHeadCount => KeyValueHeads == 0 ? Heads : KeyValueHeads;
}
