using DePT.Kernels;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

// The optimiser ops: src/DePT.Kernels/optim.cuh. Nothing here waits for the device: the clip coefficient
// is read from the squared norm by the update kernel itself.
public sealed partial class CudaBackend
{
    // The squared norm's partial sums: one per block, at most this many blocks whatever the device, so that
    // the reduction order (and the result's bits) depend on the element count only.
    private const int NormMaxBlocks = 1024;

    /// <inheritdoc />
    public void SquaredNorm(Tensor result, Tensor input, bool accumulate)
    {
        long count = OpChecks.SquaredNorm(nameof(SquaredNorm), Device, result, input);
        int blocks = (int)Math.Clamp(((count + 7) / 8 + FlatThreads - 1) / FlatThreads, 1, NormMaxBlocks);
        using var partials = Allocate(DType.F32, 2 * blocks);   // doubles; back to the pool once the kernels are queued
        var partialArgs = new SquaredNormPartialArgs { Partials = Ptr(partials), Inp = Ptr(input), Count = count };
        CudaDevice.Kernels.Launch("optim_squared_norm_partial", new LaunchShape((uint)blocks, 1, 1, FlatThreads), partialArgs);
        var finalArgs = new SquaredNormFinalArgs { Result = Ptr(result), Partials = Ptr(partials), Blocks = blocks, Accumulate = accumulate ? 1 : 0 };
        CudaDevice.Kernels.Launch("optim_squared_norm_final", new LaunchShape(1, 1, 1, FlatThreads), finalArgs);
    }

    /// <inheritdoc />
    public void AdamWUpdate(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, Tensor? squaredGradNorm, AdamWStep step)
    {
        long count = OpChecks.AdamWUpdate(nameof(AdamWUpdate), Device, parameter, gradient, firstMoment, secondMoment, squaredGradNorm, step);
        var args = new AdamWArgs
        {
            Param = Ptr(parameter), Grad = Ptr(gradient), FirstMoment = Ptr(firstMoment), SecondMoment = Ptr(secondMoment),
            SquaredGradNorm = step.Clips ? Ptr(squaredGradNorm) : 0UL, Count = count,
            Decay = step.DecayFactor, Beta1Weight = step.Beta1Weight, Beta2 = step.Beta2, Beta2Weight = step.Beta2Weight,
            StepSize = step.StepSize, Bias2Sqrt = step.Bias2Sqrt, Eps = step.Epsilon, MaxGradNorm = step.MaxGradNorm,
        };
        CudaDevice.Kernels.Launch("optim_adamw", FlatChunks(count), args);
    }
}
