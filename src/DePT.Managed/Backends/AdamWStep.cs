namespace DePT.Backends;

/// <summary>
/// The scalars of one <see cref="IBackend.AdamWUpdate"/>: the learning rate already scaled by the schedule,
/// the AdamW hyper-parameters, the 1-based step number t used in the bias corrections, and the clipping
/// threshold of the global gradient norm (≤ 0: no clipping).
/// </summary>
/// <param name="LearningRate">The learning rate of this step (the group's rate times the schedule).</param>
/// <param name="Beta1">Decay of the first moment.</param>
/// <param name="Beta2">Decay of the second moment.</param>
/// <param name="Epsilon">Added to sqrt(v̂) in the denominator.</param>
/// <param name="WeightDecay">Decoupled weight decay (p −= lr·wd·p).</param>
/// <param name="Step">The 1-based step number t.</param>
/// <param name="MaxGradNorm">The global gradient norm above which gradients are scaled down; ≤ 0 disables clipping.</param>
public readonly record struct AdamWStep(float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, int Step, float MaxGradNorm);
