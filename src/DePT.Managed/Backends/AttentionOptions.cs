namespace DePT.Backends;

/// <summary>
/// How <see cref="IBackend.Attention"/> runs: heads, the score scale (1 for T5, 1/√dh for BERT), causal
/// masking (query i sees keys ≤ i + QueryOffset), and how many key rows of the cache are live (0: all).
/// </summary>
public readonly record struct AttentionOptions(int Heads, float Scale = 1f, bool Causal = false, int KeyLength = 0, int QueryOffset = 0);
