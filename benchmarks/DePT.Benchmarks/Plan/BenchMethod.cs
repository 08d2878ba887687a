namespace DePT.Benchmarks.Plan;

/// <summary>
/// What is trained on top of the frozen model: nothing (<see cref="Frozen"/>, the floor), a vanilla soft prompt of
/// length L (<see cref="Pt"/>: rank 0), or a DePT prompt of length m with a rank-r pair A (s×r), B (r×d).
/// </summary>
/// <param name="Kind">The schema's method name: <c>frozen</c>, <c>pt</c> or <c>dept</c>.</param>
/// <param name="PromptLength">L for vanilla PT, m for DePT, 0 for frozen.</param>
/// <param name="Rank">r for DePT, 0 otherwise.</param>
internal sealed record BenchMethod(string Kind, int PromptLength, int Rank)
{
    /// <summary>The schema name of the frozen floor.</summary>
    public const string FrozenKind = "frozen";

    /// <summary>The schema name of vanilla prompt tuning.</summary>
    public const string PtKind = "pt";

    /// <summary>The schema name of DePT.</summary>
    public const string DeptKind = "dept";

    /// <summary>DePT's low-rank scale numerator: scale = alpha / √r.</summary>
    public const float Alpha = 8f;

    /// <summary>The frozen model with no prompt.</summary>
    public static BenchMethod Frozen { get; } = new(FrozenKind, 0, 0);

    /// <summary>Vanilla prompt tuning, L = 100.</summary>
    public static BenchMethod Pt { get; } = new(PtKind, 100, 0);

    /// <summary>DePT with m = 60, r = 30: the paper's main setting, equal in parameters to PT L = 100 on T5-Base.</summary>
    public static BenchMethod Dept60x30 { get; } = new(DeptKind, 60, 30);

    /// <summary>Every method of a full run: the floor, PT, and the three DePT splits of the same budget.</summary>
    public static IReadOnlyList<BenchMethod> All { get; } = [Frozen, Pt, Dept60x30, new(DeptKind, 40, 45), new(DeptKind, 80, 15)];

    /// <summary>Whether a prompt is trained at all.</summary>
    public bool HasPrompt => Kind != FrozenKind;

    /// <summary>The low-rank scale alpha / √r (0 without a low-rank pair).</summary>
    public float LowRankScale => Rank == 0 ? 0f : Alpha / MathF.Sqrt(Rank);

    /// <summary>Trainable parameters m·d + r·(s + d).</summary>
    public long TrainableParameters(int modelDim, int maxLength) => (long)PromptLength * modelDim + (long)Rank * (maxLength + modelDim);

    /// <summary>Parses <c>frozen</c>, <c>pt</c>, <c>pt:L</c>, <c>dept</c> (60, 30) or <c>dept:m:r</c>.</summary>
    /// <exception cref="FormatException">The text is none of those.</exception>
    public static BenchMethod Parse(string text)
    {
        string[] parts = text.Trim().ToLowerInvariant().Split(':');
        int Number(int i) => int.TryParse(parts[i], out int value) && value > 0
            ? value
            : throw new FormatException($"Method '{text}': '{parts[i]}' is not a positive integer.");
        return (parts[0], parts.Length) switch
        {
            (FrozenKind, 1) => Frozen,
            (PtKind, 1) => Pt,
            (PtKind, 2) => new(PtKind, Number(1), 0),
            (DeptKind, 1) => Dept60x30,
            (DeptKind, 3) => new(DeptKind, Number(1), Number(2)),
            _ => throw new FormatException($"Method '{text}' is not one of frozen, pt, pt:L, dept, dept:m:r."),
        };
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        FrozenKind => "frozen",
        PtKind => $"PT L={PromptLength}",
        _ => $"DePT m={PromptLength} r={Rank}",
    };
}
