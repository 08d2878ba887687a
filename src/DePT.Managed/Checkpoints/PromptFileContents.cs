namespace DePT.Checkpoints;

/// <summary>A prompt file read back: its config and values, row-major: P (m, d), A (s, r) and B (r, d) for DePT.</summary>
public sealed record PromptFileContents(PromptConfig Config, float[] Prompt, float[]? LowRankA, float[]? LowRankB);
