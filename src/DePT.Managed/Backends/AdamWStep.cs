namespace DePT.Backends;

/// <summary>
/// The scalars of one <see cref="IBackend.AdamWUpdate"/>: the learning rate already scaled by the schedule,
/// the AdamW hyper-parameters, the 1-based step number t used in the bias corrections, and the clipping
/// threshold of the global gradient norm (≤ 0: no clipping).
/// </summary>
/// <param name="LearningRate">The learning rate of this step (the group's rate times the schedule).</param>
/// <param name="Beta1">Decay of the first moment, in [0, 1).</param>
/// <param name="Beta2">Decay of the second moment, in [0, 1).</param>
/// <param name="Epsilon">Added to sqrt(v̂) in the denominator.</param>
/// <param name="WeightDecay">Decoupled weight decay (p −= lr·wd·p).</param>
/// <param name="Step">The 1-based step number t.</param>
/// <param name="MaxGradNorm">The global gradient norm above which gradients are scaled down; ≤ 0 disables clipping.</param>
public readonly record struct AdamWStep(float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, int Step, float MaxGradNorm)
{
    // The scalars of the elementwise update, derived in double and rounded once to fp32, as torch derives
    // its Python scalars; every backend uses these so that they round alike.

    /// <summary>1 − lr·wd: the decoupled weight decay factor.</summary>
    internal float DecayFactor => (float)(1.0 - (double)LearningRate * WeightDecay);

    /// <summary>1 − β1: how far m moves toward the gradient.</summary>
    internal float Beta1Weight => (float)(1.0 - Beta1);

    /// <summary>1 − β2: the weight of g² in v.</summary>
    internal float Beta2Weight => (float)(1.0 - Beta2);

    /// <summary>lr / (1 − β1ᵗ): the learning rate with the first moment's bias correction.</summary>
    internal float StepSize => (float)(LearningRate / (1.0 - Math.Pow(Beta1, Step)));

    /// <summary>sqrt(1 − β2ᵗ): the second moment's bias correction, under the square root.</summary>
    internal float Bias2Sqrt => (float)Math.Sqrt(1.0 - Math.Pow(Beta2, Step));

    /// <summary>True when the update scales the gradients by the global clip coefficient.</summary>
    internal bool Clips => MaxGradNorm > 0f;

    /// <summary>torch.nn.utils.clip_grad_norm_'s coefficient min(1, max / (‖g‖ + 1e-6)) in fp32; NaN for a NaN norm, as torch's clamp gives.</summary>
    internal float ClipCoefficient(float squaredNorm)
    {
        float coefficient = MaxGradNorm / (MathF.Sqrt(squaredNorm) + 1e-6f);
        return coefficient > 1f ? 1f : coefficient;
    }
}
