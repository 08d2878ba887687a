using DePT.Backends;
using DePT.Tensors;
using DePT.Training;

namespace DePT.Prompts;

/// <summary>
/// DePT: a soft prompt P (1, m, d) plus the low-rank pair A (1, s, r), B (1, r, d) whose product, times
/// <see cref="Scale"/> = alpha/√r, is added to the input embeddings. A starts uniform in [−1/√r, 1/√r), B at
/// zero, so step 0 is the frozen model with the prompt. Trainable parameters m·d + r·(s+d).
/// </summary>
public sealed class DecomposedPrompt : SoftPrompt
{
    /// <summary>The name of the optimiser group holding A and B.</summary>
    public const string LowRankGroupName = "low_rank";

    /// <summary>The paper's alpha.</summary>
    public const float DefaultAlpha = 8f;

    /// <summary>Allocates the tensors: P zero (call an Initialize method next), A uniform by <paramref name="lowRankSeed"/>, B and all gradients zero.</summary>
    /// <param name="backend">Where the tensors live.</param>
    /// <param name="promptLength">m ≥ 1.</param>
    /// <param name="dim">d.</param>
    /// <param name="maxLength">s: the longest input the prompt takes (rows of A).</param>
    /// <param name="rank">r ≥ 1.</param>
    /// <param name="lowRankSeed">Seed of A's uniform draw.</param>
    /// <param name="alpha">Scale = alpha/√r; null for no scale (1).</param>
    public DecomposedPrompt(IBackend backend, int promptLength, int dim, int maxLength, int rank, ulong lowRankSeed, float? alpha = DefaultAlpha)
        : base(backend, promptLength, dim)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rank);
        if (alpha is { } a && !(float.IsFinite(a) && a > 0f))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "DecomposedPrompt: alpha must be finite and > 0 (null for no scale).");
        MaxLength = maxLength;
        Rank = rank;
        Alpha = alpha;
        Scale = ScaleFor(alpha, rank);
        try
        {
            LowRankA = Zeros(maxLength, rank);
            LowRankB = Zeros(rank, dim);
            LowRankAGradient = Zeros(maxLength, rank);
            LowRankBGradient = Zeros(rank, dim);
        }
        catch
        {
            Dispose();
            throw;
        }
        FillUniform(LowRankA, lowRankSeed, LowRankABound);
    }

    /// <summary>s: rows of A, the longest input this prompt takes.</summary>
    public int MaxLength { get; }

    /// <summary>r.</summary>
    public int Rank { get; }

    /// <summary>alpha, or null for no scale.</summary>
    public float? Alpha { get; }

    /// <summary>The factor on A·B: alpha/√r, or 1 with no scale.</summary>
    public float Scale { get; }

    /// <summary>A's initial half-width, 1/√r.</summary>
    public float LowRankABound => 1f / MathF.Sqrt(Rank);

    /// <summary>A (1, s, r) F32.</summary>
    public Tensor LowRankA { get; } = null!;

    /// <summary>B (1, r, d) F32.</summary>
    public Tensor LowRankB { get; } = null!;

    /// <summary>dA (1, s, r) F32.</summary>
    public Tensor LowRankAGradient { get; } = null!;

    /// <summary>dB (1, r, d) F32.</summary>
    public Tensor LowRankBGradient { get; } = null!;

    /// <summary>alpha/√r, or 1 when <paramref name="alpha"/> is null.</summary>
    public static float ScaleFor(float? alpha, int rank)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rank);
        return alpha is { } a ? a / MathF.Sqrt(rank) : 1f;
    }

    /// <inheritdoc />
    public override PromptParameters Parameters => PromptParameters.Decomposed(Prompt, LowRankA, LowRankB, Scale);

    /// <inheritdoc />
    public override PromptGradients Gradients => new(PromptGradient, LowRankAGradient, LowRankBGradient);

    /// <inheritdoc />
    public override long TrainableParameterCount => PromptBudget.ParameterCount(PromptLength, Rank, Dim, MaxLength);

    /// <inheritdoc />
    public override IReadOnlyList<ParameterGroup> OptimizerGroups(AdamWSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return
        [
            new ParameterGroup(PromptGroupName, settings.PromptLearningRate, [PromptParameter]),
            new ParameterGroup(LowRankGroupName, settings.LowRankLearningRate,
            [
                new TrainableTensor(PromptTensorNames.LowRankA, LowRankA, LowRankAGradient),
                new TrainableTensor(PromptTensorNames.LowRankB, LowRankB, LowRankBGradient),
            ]),
        ];
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            LowRankA?.Dispose();
            LowRankB?.Dispose();
            LowRankAGradient?.Dispose();
            LowRankBGradient?.Dispose();
        }
        base.Dispose(disposing);
    }
}
