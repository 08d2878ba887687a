namespace DePT.Prompts;

/// <summary>
/// One DePT shape under a parameter budget: prompt length m and rank r with m·d + r·(s+d) =
/// <see cref="ParameterCount"/>; <see cref="IsExact"/> when that equals the budget L·d, otherwise it is the
/// largest count under it for this rank.
/// </summary>
public readonly record struct PromptBudgetOption(int PromptLength, int Rank, long ParameterCount, bool IsExact);
