namespace DePT.Training;

/// <summary>
/// The optimiser of DePT's reference: AdamW with two learning rates (prompt, low-rank pair), a linear warmup
/// then a linear decay to 0, and global gradient-norm clipping. The defaults are the reference's.
/// </summary>
/// <param name="PromptLearningRate">Learning rate of the prompt P.</param>
/// <param name="LowRankLearningRate">Learning rate of the low-rank pair A, B.</param>
/// <param name="Beta1">Decay of the first moment.</param>
/// <param name="Beta2">Decay of the second moment.</param>
/// <param name="Epsilon">Added to sqrt(v̂) in the denominator.</param>
/// <param name="WeightDecay">Decoupled weight decay.</param>
/// <param name="WarmupSteps">Steps of the linear warmup from 0 to the full rate.</param>
/// <param name="TotalSteps">The step at which the linear decay reaches 0.</param>
/// <param name="MaxGradNorm">Clipping threshold of the global gradient norm; ≤ 0 disables clipping.</param>
public sealed record AdamWSettings(float PromptLearningRate = 3e-1f, float LowRankLearningRate = 1e-4f, float Beta1 = 0.9f, float Beta2 = 0.999f,
    float Epsilon = 1e-6f, float WeightDecay = 0f, int WarmupSteps = 500, int TotalSteps = 30000, float MaxGradNorm = 1f);
