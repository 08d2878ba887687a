namespace DePT.Serving;

/// <summary>
/// One prompt as a server keeps it: host copies of P (m, d) and, for DePT, of the precomputed Δ = scale·A·B (s, d),
/// so the caller's prompt can be disposed and the group stacks can be rebuilt without recomputing Δ.
/// </summary>
/// <param name="Name">The name requests use.</param>
/// <param name="PromptLength">m.</param>
/// <param name="MaxLength">s, rows of Δ; 0 for vanilla PT (no Δ).</param>
/// <param name="TokenLimit">The most input tokens an example of this prompt takes (s for DePT, capped by the model).</param>
/// <param name="Prompt">P, row-major (m, d).</param>
/// <param name="Delta">Δ, row-major (s, d), or null for vanilla PT.</param>
internal sealed record ServedPrompt(string Name, int PromptLength, int MaxLength, int TokenLimit, float[] Prompt, float[]? Delta);
