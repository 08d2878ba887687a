using DePT.Tensors;

namespace DePT.Backends.Cuda;

// Optimiser ops.
public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void SquaredNorm(Tensor result, Tensor input, bool accumulate) => throw new NotImplementedException();

    /// <inheritdoc />
    public void AdamWUpdate(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, Tensor? squaredGradNorm, AdamWStep step) => throw new NotImplementedException();
}
