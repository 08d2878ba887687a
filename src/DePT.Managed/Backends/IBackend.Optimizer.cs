using DePT.Tensors;

namespace DePT.Backends;

// The optimiser ops. Parameters, gradients and optimiser state are F32 (the design keeps prompt parameters and
// optimiser state in fp32 on every backend); everything is computed in fp32. Both ops are queued like any
// other: the global gradient norm stays on the device, so a training step never waits for the host.
public partial interface IBackend
{
    /// <summary>
    /// result (1) F32 = Σ input² over every element of input (F32, any shape), or result += Σ input² when
    /// <paramref name="accumulate"/> is true. Deterministic: the same input gives the same bits on every run.
    /// </summary>
    void SquaredNorm(Tensor result, Tensor input, bool accumulate);

    /// <summary>
    /// One torch.optim.AdamW step of one parameter, in place, after global gradient-norm clipping: with
    /// c = min(1, MaxGradNorm / (sqrt(squaredGradNorm[0]) + 1e-6)) read on the device (c = 1 when
    /// squaredGradNorm is null or MaxGradNorm ≤ 0) and g = c·gradient, t = <see cref="AdamWStep.Step"/>:
    /// p −= lr·wd·p; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lr·(m/(1−β1ᵗ)) / (sqrt(v/(1−β2ᵗ)) + eps).
    /// parameter, gradient, firstMoment (m), secondMoment (v): F32, same shape; squaredGradNorm (1) F32. The
    /// gradient is read, not changed.
    /// </summary>
    void AdamWUpdate(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, Tensor? squaredGradNorm, AdamWStep step);
}
