using DePT.Tensors;

namespace DePT.Backends;

/// <summary>
/// The trainable DePT parameters of P prompts, as the input op reads them: the soft prompt (P, m, d) F32,
/// and either the low-rank pair A (P, s, r), B (P, r, d) F32 with its scale, or a precomputed
/// Δ = scale·A·B (P, s, d) F32 for serving. Vanilla prompt tuning has neither.
/// </summary>
public readonly record struct PromptParameters(Tensor Prompt, Tensor? LowRankA = null, Tensor? LowRankB = null, float LowRankScale = 0f, Tensor? Delta = null)
{
    /// <summary>Vanilla prompt tuning: the soft prompt only.</summary>
    public static PromptParameters Vanilla(Tensor prompt) => new(prompt);

    /// <summary>Training form: prompt plus low-rank pair.</summary>
    public static PromptParameters Decomposed(Tensor prompt, Tensor lowRankA, Tensor lowRankB, float lowRankScale) =>
        new(prompt, lowRankA, lowRankB, lowRankScale);

    /// <summary>Serving form: prompt plus precomputed Δ.</summary>
    public static PromptParameters WithDelta(Tensor prompt, Tensor delta) => new(prompt, Delta: delta);
}
