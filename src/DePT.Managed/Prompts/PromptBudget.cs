namespace DePT.Prompts;

/// <summary>
/// The DePT shapes with the trainable parameter count of vanilla prompt tuning of length L: m·d + r·(s+d) = L·d.
/// With T5-Base (d = 768, s = 256) and L = 100 the list holds (m = 60, r = 30): 76,800, as in the paper.
/// </summary>
public static class PromptBudget
{
    /// <summary>Trainable parameters of DePT with prompt length m, rank r, width d and maximum input length s: m·d + r·(s+d).</summary>
    public static long ParameterCount(int promptLength, int rank, int dim, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(promptLength);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        return (long)promptLength * dim + (long)rank * (maxLength + dim);
    }

    /// <summary>
    /// Every rank r from 0 (vanilla, m = L) upward with the largest m ≥ 1 that keeps m·d + r·(s+d) ≤ L·d, in
    /// increasing r; each option says whether it meets the budget exactly.
    /// </summary>
    /// <param name="dim">Model width d.</param>
    /// <param name="maxLength">Maximum input length s (rows of A).</param>
    /// <param name="vanillaLength">The vanilla prompt length L whose L·d parameters are the budget.</param>
    public static IReadOnlyList<PromptBudgetOption> Options(int dim, int maxLength, int vanillaLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vanillaLength);
        long budget = (long)vanillaLength * dim;
        var options = new List<PromptBudgetOption>();
        for (int rank = 0; ; rank++)
        {
            long left = budget - (long)rank * (maxLength + dim);
            long promptLength = left / dim;
            if (promptLength < 1) break;
            long count = promptLength * dim + (long)rank * (maxLength + dim);
            options.Add(new PromptBudgetOption((int)promptLength, rank, count, count == budget));
        }
        return options;
    }

    /// <summary>
    /// DePT's (m, r) for the budget L·d: among the ranks ≥ 1 that meet the budget exactly, the one whose m is closest
    /// to 0.6·L (the paper's 60 of 100 rows for T5-Base); when no rank meets it exactly, the same rule over the
    /// largest counts under it.
    /// </summary>
    /// <exception cref="ArgumentException">The budget leaves no room for a rank ≥ 1 with m ≥ 1.</exception>
    public static PromptBudgetOption Decomposition(int dim, int maxLength, int vanillaLength)
    {
        var options = Options(dim, maxLength, vanillaLength).Where(o => o.Rank >= 1).ToList();
        if (options.Count == 0)
            throw new ArgumentException($"a PT budget of L={vanillaLength} rows × d={dim} leaves no room for DePT with m ≥ 1 and r ≥ 1 at s={maxLength}; raise L.");
        var pool = options.Any(o => o.IsExact) ? options.Where(o => o.IsExact).ToList() : options;
        double target = 0.6 * vanillaLength;
        return pool.OrderBy(o => Math.Abs(o.PromptLength - target)).ThenByDescending(o => o.ParameterCount).First();
    }
}
