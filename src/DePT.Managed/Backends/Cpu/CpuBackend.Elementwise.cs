using System.Numerics.Tensors;
using DePT.Models;
using DePT.Numerics;
using DePT.Tensors;
using Tensor = DePT.Tensors.Tensor;

namespace DePT.Backends.Cpu;

// Elementwise ops: activations (in double, see CpuMath), arithmetic, conversion, fill and dropout.
public sealed partial class CpuBackend
{
    /// <summary>Rough cost of one activation or its derivative in operations, for the parallel threshold.</summary>
    private const long ActivationWork = 32;

    /// <inheritdoc />
    public void Activation(Tensor output, Tensor input, ActivationFunction fn)
    {
        OpChecks.Elementwise(nameof(Activation), Device, ("output", output), ("input", input));
        Map(output, input, null, ActivationWork, (_, x, _, y) =>
        {
            for (int i = 0; i < x.Length; i++) y[i] = (float)CpuMath.Activate(fn, x[i]);
        });
    }

    /// <inheritdoc />
    public void ActivationBackward(Tensor dInput, Tensor dOutput, Tensor input, ActivationFunction fn)
    {
        OpChecks.Elementwise(nameof(ActivationBackward), Device, ("dInput", dInput), ("dOutput", dOutput), ("input", input));
        Map(dInput, dOutput, input, ActivationWork, (_, g, x, dx) =>
        {
            for (int i = 0; i < g.Length; i++) dx[i] = (float)(g[i] * CpuMath.Derivative(fn, x[i]));
        });
    }

    /// <inheritdoc />
    public void GatedActivation(Tensor output, Tensor input, ActivationFunction fn)
    {
        var (n, f) = OpChecks.Gated(nameof(GatedActivation), Device, output, "output", input, "input");
        ForEachRange(n, ActivationWork * f, (start, end) =>
        {
            var gateUp = new float[2 * f];
            var y = new float[f];
            for (int row = start; row < end; row++)
            {
                ReadRow(input, (long)row * 2 * f, gateUp);
                for (int j = 0; j < f; j++) y[j] = (float)(CpuMath.Activate(fn, gateUp[j]) * gateUp[f + j]);
                WriteRow(output, (long)row * f, y);
            }
        });
    }

    /// <inheritdoc />
    public void GatedActivationBackward(Tensor dInput, Tensor dOutput, Tensor input, ActivationFunction fn)
    {
        const string op = nameof(GatedActivationBackward);
        var (n, f) = OpChecks.Gated(op, Device, dOutput, "dOutput", input, "input");
        OpChecks.Float(op, "dInput", dInput, Device);
        OpChecks.SameShape(op, "dInput", dInput, "input", input);
        ForEachRange(n, 2 * ActivationWork * f, (start, end) =>
        {
            var gateUp = new float[2 * f];
            var g = new float[f];
            var dx = new float[2 * f];
            for (int row = start; row < end; row++)
            {
                ReadRow(input, (long)row * 2 * f, gateUp);
                ReadRow(dOutput, (long)row * f, g);
                for (int j = 0; j < f; j++)
                {
                    double gate = gateUp[j], up = gateUp[f + j];
                    dx[j] = (float)(g[j] * up * CpuMath.Derivative(fn, gate));
                    dx[f + j] = (float)(g[j] * CpuMath.Activate(fn, gate));
                }
                WriteRow(dInput, (long)row * 2 * f, dx);
            }
        });
    }

    /// <inheritdoc />
    public void Add(Tensor output, Tensor a, Tensor b)
    {
        OpChecks.Elementwise(nameof(Add), Device, ("output", output), ("a", a), ("b", b));
        Map(output, a, b, 1, (_, x, y, sum) => TensorPrimitives.Add(x, y, sum));
    }

    /// <inheritdoc />
    public void Scale(Tensor output, Tensor input, float factor)
    {
        OpChecks.Elementwise(nameof(Scale), Device, ("output", output), ("input", input));
        Map(output, input, null, 1, (_, x, _, y) => TensorPrimitives.Multiply(x, factor, y));
    }

    /// <inheritdoc />
    public void Copy(Tensor output, Tensor input)
    {
        OpChecks.Float(nameof(Copy), "output", output, Device);
        OpChecks.Float(nameof(Copy), "input", input, Device);
        if (output.Length != input.Length)
            throw new ArgumentException($"{nameof(Copy)}: output {output.ShapeText} holds {output.Length} elements, input {input.ShapeText} holds {input.Length}.");
        Map(output, input, null, 1, (_, x, _, y) => x.CopyTo(y));
    }

    /// <inheritdoc />
    public void Fill(Tensor output, float value)
    {
        OpChecks.Float(nameof(Fill), "output", output, Device);
        if (output.DType == DType.F32) Host(output).AsSpan<float>().Fill(value);
        else Host(output).AsSpan<ushort>().Fill(BFloat16.FromSingle(value));
    }

    /// <inheritdoc />
    public void Dropout(Tensor output, Tensor input, float rate, ulong seed, ulong stream)
    {
        OpChecks.Elementwise(nameof(Dropout), Device, ("output", output), ("input", input));
        OpChecks.DropoutRate(nameof(Dropout), rate);
        ApplyDropout(output, input, rate, seed, stream);
    }

    /// <inheritdoc />
    public void DropoutBackward(Tensor dInput, Tensor dOutput, float rate, ulong seed, ulong stream)
    {
        OpChecks.Elementwise(nameof(DropoutBackward), Device, ("dInput", dInput), ("dOutput", dOutput));
        OpChecks.DropoutRate(nameof(DropoutBackward), rate);
        ApplyDropout(dInput, dOutput, rate, seed, stream);
    }

    /// <summary>The forward and the backward are the same map: element i kept (and scaled) or zeroed by <see cref="DropoutHash"/>.</summary>
    private static void ApplyDropout(Tensor output, Tensor input, float rate, ulong seed, ulong stream)
    {
        ulong key = DropoutHash.Key(seed, stream);
        float scale = 1f / (1f - rate);
        Map(output, input, null, 8, (offset, x, _, y) =>
        {
            for (int i = 0; i < x.Length; i++) y[i] = DropoutHash.Uniform(key, offset + i) >= rate ? x[i] * scale : 0f;
        });
    }
}
