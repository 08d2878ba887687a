using System.Numerics.Tensors;
using Tensor = DePT.Tensors.Tensor;

namespace DePT.Backends.Cpu;

// Linear layers through CpuGemm. BF16 operands are widened to fp32 once per call (the CPU backend is the fp32
// reference; BF16 here is for checking, not for speed), and CpuGemm packs its operands per call, so nothing is
// cached between calls and a weight may change between them.
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public unsafe void Linear(Tensor output, Tensor input, Tensor weight, Tensor? bias, bool accumulate = false)
    {
        var (n, inFeatures, outFeatures) = OpChecks.Linear(nameof(Linear), Device, output, input, weight, bias);
        using var x = PinnedFloats.Read(input);
        using var w = PinnedFloats.Read(weight);
        using var y = accumulate ? PinnedFloats.Read(output) : PinnedFloats.Write(output);
        var result = new Span<float>(y.Pointer, n * outFeatures);
        if (!accumulate) result.Clear();
        if (bias is not null)
        {
            var biasValues = ReadAll(bias);
            for (int row = 0; row < n; row++)
            {
                var target = result.Slice(row * outFeatures, outFeatures);
                TensorPrimitives.Add(target, biasValues, target);
            }
        }
        // out (n × out) += in (n × in) · weightᵀ, weightᵀ read from weight (out, in) with swapped strides.
        CpuGemm.MultiplyAdd(n, outFeatures, inFeatures, new(x.Pointer, inFeatures, 1), new(w.Pointer, 1, inFeatures), y.Pointer, outFeatures);
        y.Commit();
    }

    /// <inheritdoc />
    public unsafe void LinearBackwardInput(Tensor dInput, Tensor dOutput, Tensor weight, bool accumulate = false)
    {
        var (n, inFeatures, outFeatures) = OpChecks.LinearBackwardInput(nameof(LinearBackwardInput), Device, dInput, dOutput, weight);
        using var dy = PinnedFloats.Read(dOutput);
        using var w = PinnedFloats.Read(weight);
        using var dx = accumulate ? PinnedFloats.Read(dInput) : PinnedFloats.Write(dInput);
        if (!accumulate) new Span<float>(dx.Pointer, n * inFeatures).Clear();
        CpuGemm.MultiplyAdd(n, inFeatures, outFeatures, new(dy.Pointer, outFeatures, 1), new(w.Pointer, inFeatures, 1), dx.Pointer, inFeatures);
        dx.Commit();
    }

    /// <inheritdoc />
    public unsafe void LinearBackwardWeight(Tensor dWeight, Tensor? dBias, Tensor dOutput, Tensor input)
    {
        var (n, inFeatures, outFeatures) = OpChecks.LinearBackwardWeight(nameof(LinearBackwardWeight), Device, dWeight, dBias, dOutput, input);
        using var dy = PinnedFloats.Read(dOutput);
        using var x = PinnedFloats.Read(input);
        using var dw = PinnedFloats.Read(dWeight);
        // dWeight (out × in) += dOutputᵀ (out × n) · input (n × in): dOutputᵀ is dOutput with swapped strides.
        CpuGemm.MultiplyAdd(outFeatures, inFeatures, n, new(dy.Pointer, 1, outFeatures), new(x.Pointer, inFeatures, 1), dw.Pointer, inFeatures);
        if (dBias is null) return;
        var db = Host(dBias).AsSpan<float>();
        var gradient = new ReadOnlySpan<float>(dy.Pointer, n * outFeatures);
        for (int row = 0; row < n; row++) TensorPrimitives.Add(db, gradient.Slice(row * outFeatures, outFeatures), db);
    }
}
