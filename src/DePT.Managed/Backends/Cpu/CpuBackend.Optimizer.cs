using DePT.Tensors;

namespace DePT.Backends.Cpu;

// Optimiser ops.
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void SquaredNorm(Tensor result, Tensor input, bool accumulate) => throw new NotImplementedException();

    /// <inheritdoc />
    public void AdamWUpdate(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, Tensor? squaredGradNorm, AdamWStep step) => throw new NotImplementedException();
}
