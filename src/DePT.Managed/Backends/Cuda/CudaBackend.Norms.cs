using DePT.Tensors;

namespace DePT.Backends.Cuda;

// RMS norm and LayerNorm, forward and backward: src/DePT.Kernels/norm.cuh.
public sealed partial class CudaBackend
{
    private const int NormMaxThreads = 256;

    /// <inheritdoc />
    public void RmsNorm(Tensor output, Tensor rstd, Tensor input, Tensor weight, float eps)
    {
        var (rows, dim) = OpChecks.Norm(nameof(RmsNorm), Device, output, input, weight, null, eps, (nameof(rstd), rstd));
        var args = new RmsNormArgs
        {
            Out = Ptr(output), Rstd = Ptr(rstd), Inp = Ptr(input), Weight = Ptr(weight), Rows = rows, Dim = dim,
            Bf16 = Bf16(output, 0) | Bf16(input, 2) | Bf16(weight, 3), Eps = eps,
        };
        CudaDevice.Kernels.Launch("rmsnorm_forward", PerRow(rows, dim, NormMaxThreads), args);
    }

    /// <inheritdoc />
    public void RmsNormBackward(Tensor dInput, Tensor dOutput, Tensor input, Tensor weight, Tensor rstd, bool accumulate)
    {
        var (rows, dim) = OpChecks.NormBackward(nameof(RmsNormBackward), Device, dInput, dOutput, input, weight, (nameof(rstd), rstd));
        var args = new RmsNormBackwardArgs
        {
            DInp = Ptr(dInput), DOut = Ptr(dOutput), Inp = Ptr(input), Weight = Ptr(weight), Rstd = Ptr(rstd),
            Rows = rows, Dim = dim, Accumulate = accumulate ? 1 : 0,
            Bf16 = Bf16(dInput, 0) | Bf16(dOutput, 1) | Bf16(input, 2) | Bf16(weight, 3),
        };
        CudaDevice.Kernels.Launch("rmsnorm_backward", PerRow(rows, dim, NormMaxThreads), args);
    }

    /// <inheritdoc />
    public void LayerNorm(Tensor output, Tensor mean, Tensor rstd, Tensor input, Tensor weight, Tensor bias, float eps)
    {
        ArgumentNullException.ThrowIfNull(bias);
        var (rows, dim) = OpChecks.Norm(nameof(LayerNorm), Device, output, input, weight, bias, eps, (nameof(mean), mean), (nameof(rstd), rstd));
        var args = new LayerNormArgs
        {
            Out = Ptr(output), Mean = Ptr(mean), Rstd = Ptr(rstd), Inp = Ptr(input), Weight = Ptr(weight), Bias = Ptr(bias),
            Rows = rows, Dim = dim, Bf16 = Bf16(output, 0) | Bf16(input, 3) | Bf16(weight, 4) | Bf16(bias, 5), Eps = eps,
        };
        CudaDevice.Kernels.Launch("layernorm_forward", PerRow(rows, dim, NormMaxThreads), args);
    }

    /// <inheritdoc />
    public void LayerNormBackward(Tensor dInput, Tensor dOutput, Tensor input, Tensor weight, Tensor mean, Tensor rstd, bool accumulate)
    {
        var (rows, dim) = OpChecks.NormBackward(nameof(LayerNormBackward), Device, dInput, dOutput, input, weight, (nameof(mean), mean), (nameof(rstd), rstd));
        var args = new LayerNormBackwardArgs
        {
            DInp = Ptr(dInput), DOut = Ptr(dOutput), Inp = Ptr(input), Weight = Ptr(weight), Mean = Ptr(mean), Rstd = Ptr(rstd),
            Rows = rows, Dim = dim, Accumulate = accumulate ? 1 : 0,
            Bf16 = Bf16(dInput, 0) | Bf16(dOutput, 1) | Bf16(input, 2) | Bf16(weight, 3),
        };
        CudaDevice.Kernels.Launch("layernorm_backward", PerRow(rows, dim, NormMaxThreads), args);
    }
}
