using DePT.Models;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

// Feed-forward activations, plain and gated: src/DePT.Kernels/activation.cuh.
public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void Activation(Tensor output, Tensor input, ActivationFunction fn)
    {
        long count = OpChecks.Elementwise(nameof(Activation), Device, (nameof(output), output), (nameof(input), input));
        var args = new ActArgs { Out = Ptr(output), Inp = Ptr(input), Count = count, Bf16 = Bf16(output, 0) | Bf16(input, 1), Fn = KernelCode(fn) };
        CudaDevice.Kernels.Launch("act_forward", FlatChunks(count), args);
    }

    /// <inheritdoc />
    public void ActivationBackward(Tensor dInput, Tensor dOutput, Tensor input, ActivationFunction fn)
    {
        long count = OpChecks.Elementwise(nameof(ActivationBackward), Device, (nameof(dInput), dInput), (nameof(dOutput), dOutput), (nameof(input), input));
        var args = new ActBackwardArgs
        {
            DInp = Ptr(dInput), DOut = Ptr(dOutput), Inp = Ptr(input), Count = count,
            Bf16 = Bf16(dInput, 0) | Bf16(dOutput, 1) | Bf16(input, 2), Fn = KernelCode(fn),
        };
        CudaDevice.Kernels.Launch("act_backward", FlatChunks(count), args);
    }

    /// <inheritdoc />
    public void GatedActivation(Tensor output, Tensor input, ActivationFunction fn)
    {
        var (rows, ff) = OpChecks.Gated(nameof(GatedActivation), Device, output, nameof(output), input, nameof(input));
        var args = new GatedActArgs { Out = Ptr(output), Inp = Ptr(input), Rows = rows, Ff = ff, Bf16 = Bf16(output, 0) | Bf16(input, 1), Fn = KernelCode(fn) };
        CudaDevice.Kernels.Launch("gated_act_forward", Flat(Chunks(rows, ff)), args);
    }

    /// <inheritdoc />
    public void GatedActivationBackward(Tensor dInput, Tensor dOutput, Tensor input, ActivationFunction fn)
    {
        const string op = nameof(GatedActivationBackward);
        var (rows, ff) = OpChecks.Gated(op, Device, dOutput, nameof(dOutput), input, nameof(input));
        OpChecks.Float(op, nameof(dInput), dInput, Device);
        OpChecks.SameShape(op, nameof(dInput), dInput, nameof(input), input);
        var args = new GatedActBackwardArgs
        {
            DInp = Ptr(dInput), DOut = Ptr(dOutput), Inp = Ptr(input), Rows = rows, Ff = ff,
            Bf16 = Bf16(dInput, 0) | Bf16(dOutput, 1) | Bf16(input, 2), Fn = KernelCode(fn),
        };
        CudaDevice.Kernels.Launch("gated_act_backward", Flat(Chunks(rows, ff)), args);
    }

    // The kernels' fn codes (activation.cuh), spelled out so that a new enum member fails loudly here.
    private static int KernelCode(ActivationFunction fn) => fn switch
    {
        ActivationFunction.Relu => 0,
        ActivationFunction.Gelu => 1,
        ActivationFunction.GeluTanh => 2,
        ActivationFunction.Silu => 3,
        ActivationFunction.Tanh => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(fn), fn, "No CUDA kernel for this activation."),
    };
}
