using DePT.Models;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

// Feed-forward activations, plain and gated: src/DePT.Kernels/activation.cuh.
public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void Activation(Tensor output, Tensor input, ActivationFunction fn)
    {
        const string op = nameof(Activation);
        OpChecks.Float(op, nameof(output), output, Device);
        OpChecks.Float(op, nameof(input), input, Device);
        OpChecks.SameShape(op, nameof(output), output, nameof(input), input);
        var args = new ActArgs { Out = Ptr(output), Inp = Ptr(input), Count = input.Length, Bf16 = Bf16(output, 0) | Bf16(input, 1), Fn = KernelCode(fn) };
        CudaDevice.Kernels.Launch("act_forward", FlatChunks(input.Length), args);
    }

    /// <inheritdoc />
    public void ActivationBackward(Tensor dInput, Tensor dOutput, Tensor input, ActivationFunction fn)
    {
        const string op = nameof(ActivationBackward);
        OpChecks.Float(op, nameof(dInput), dInput, Device);
        OpChecks.Float(op, nameof(dOutput), dOutput, Device);
        OpChecks.Float(op, nameof(input), input, Device);
        OpChecks.SameShape(op, nameof(dOutput), dOutput, nameof(input), input);
        OpChecks.SameShape(op, nameof(dInput), dInput, nameof(input), input);
        var args = new ActBackwardArgs
        {
            DInp = Ptr(dInput), DOut = Ptr(dOutput), Inp = Ptr(input), Count = input.Length,
            Bf16 = Bf16(dInput, 0) | Bf16(dOutput, 1) | Bf16(input, 2), Fn = KernelCode(fn),
        };
        CudaDevice.Kernels.Launch("act_backward", FlatChunks(input.Length), args);
    }

    /// <inheritdoc />
    public void GatedActivation(Tensor output, Tensor input, ActivationFunction fn)
    {
        const string op = nameof(GatedActivation);
        var (rows, ff) = GatedShape(op, nameof(output), output, nameof(input), input);
        var args = new GatedActArgs { Out = Ptr(output), Inp = Ptr(input), Rows = rows, Ff = ff, Bf16 = Bf16(output, 0) | Bf16(input, 1), Fn = KernelCode(fn) };
        CudaDevice.Kernels.Launch("gated_act_forward", Flat(Chunks(rows, ff)), args);
    }

    /// <inheritdoc />
    public void GatedActivationBackward(Tensor dInput, Tensor dOutput, Tensor input, ActivationFunction fn)
    {
        const string op = nameof(GatedActivationBackward);
        var (rows, ff) = GatedShape(op, nameof(dOutput), dOutput, nameof(input), input);
        OpChecks.Float(op, nameof(dInput), dInput, Device);
        OpChecks.SameShape(op, nameof(dInput), dInput, nameof(input), input);
        var args = new GatedActBackwardArgs
        {
            DInp = Ptr(dInput), DOut = Ptr(dOutput), Inp = Ptr(input), Rows = rows, Ff = ff,
            Bf16 = Bf16(dInput, 0) | Bf16(dOutput, 1) | Bf16(input, 2), Fn = KernelCode(fn),
        };
        CudaDevice.Kernels.Launch("gated_act_backward", Flat(Chunks(rows, ff)), args);
    }

    // input (N, 2F) = [gate | up] and an (N, F) partner with the same leading dimensions.
    private (int Rows, int Ff) GatedShape(string op, string halfName, Tensor half, string inputName, Tensor input)
    {
        OpChecks.Float(op, inputName, input, Device);
        OpChecks.Float(op, halfName, half, Device);
        var (rows, width) = OpChecks.Rows(op, inputName, input);
        if (width % 2 != 0)
            throw new ArgumentException($"{op}: {inputName} {input.ShapeText} must hold [gate | up] halves; its last dimension {width} is odd.", inputName);
        OpChecks.RowsLike(op, halfName, half, inputName, input, width / 2);
        return (rows, width / 2);
    }

    // The kernels' fn codes (activation.cuh): the enum's values, checked so that a new member fails loudly.
    private static int KernelCode(ActivationFunction fn) => fn switch
    {
        ActivationFunction.Relu => 0,
        ActivationFunction.Gelu => 1,
        ActivationFunction.GeluTanh => 2,
        ActivationFunction.Silu => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(fn), fn, "No CUDA kernel for this activation."),
    };
}
