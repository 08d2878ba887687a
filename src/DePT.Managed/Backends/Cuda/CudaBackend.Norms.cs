using DePT.Tensors;

namespace DePT.Backends.Cuda;

// RMS norm and LayerNorm, forward and backward: src/DePT.Kernels/norm.cuh.
public sealed partial class CudaBackend
{
    private const int NormMaxThreads = 256;

    /// <inheritdoc />
    public void RmsNorm(Tensor output, Tensor rstd, Tensor input, Tensor weight, float eps)
    {
        const string op = nameof(RmsNorm);
        var (rows, dim) = NormShape(op, input, weight);
        Epsilon(op, eps);
        OpChecks.Float(op, nameof(output), output, Device);
        OpChecks.SameShape(op, nameof(output), output, nameof(input), input);
        Statistic(op, nameof(rstd), rstd, rows);
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
        const string op = nameof(RmsNormBackward);
        var (rows, dim) = NormShape(op, input, weight);
        GradientsLike(op, dInput, dOutput, input);
        Statistic(op, nameof(rstd), rstd, rows);
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
        const string op = nameof(LayerNorm);
        var (rows, dim) = NormShape(op, input, weight);
        Epsilon(op, eps);
        OpChecks.FloatRank(op, nameof(bias), bias, 1, Device);
        OpChecks.SameShape(op, nameof(bias), bias, nameof(weight), weight);
        OpChecks.Float(op, nameof(output), output, Device);
        OpChecks.SameShape(op, nameof(output), output, nameof(input), input);
        Statistic(op, nameof(mean), mean, rows);
        Statistic(op, nameof(rstd), rstd, rows);
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
        const string op = nameof(LayerNormBackward);
        var (rows, dim) = NormShape(op, input, weight);
        GradientsLike(op, dInput, dOutput, input);
        Statistic(op, nameof(mean), mean, rows);
        Statistic(op, nameof(rstd), rstd, rows);
        var args = new LayerNormBackwardArgs
        {
            DInp = Ptr(dInput), DOut = Ptr(dOutput), Inp = Ptr(input), Weight = Ptr(weight), Mean = Ptr(mean), Rstd = Ptr(rstd),
            Rows = rows, Dim = dim, Accumulate = accumulate ? 1 : 0,
            Bf16 = Bf16(dInput, 0) | Bf16(dOutput, 1) | Bf16(input, 2) | Bf16(weight, 3),
        };
        CudaDevice.Kernels.Launch("layernorm_backward", PerRow(rows, dim, NormMaxThreads), args);
    }

    // input (N, d) with d ≥ 1, weight (d).
    private (int Rows, int Dim) NormShape(string op, Tensor input, Tensor weight)
    {
        OpChecks.Float(op, nameof(input), input, Device);
        OpChecks.FloatRank(op, nameof(weight), weight, 1, Device);
        var (rows, dim) = OpChecks.Rows(op, nameof(input), input);
        if (dim < 1) throw new ArgumentException($"{op}: input {input.ShapeText} has no columns to normalise.", nameof(input));
        OpChecks.Shape(op, nameof(weight), weight, $"(d={dim})", dim);
        return (rows, dim);
    }

    private static void Epsilon(string op, float eps)
    {
        if (!(eps >= 0f && float.IsFinite(eps)))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, $"{op}: eps must be finite and non-negative.");
    }

    private void GradientsLike(string op, Tensor dInput, Tensor dOutput, Tensor input)
    {
        OpChecks.Float(op, nameof(dInput), dInput, Device);
        OpChecks.Float(op, nameof(dOutput), dOutput, Device);
        OpChecks.SameShape(op, nameof(dInput), dInput, nameof(input), input);
        OpChecks.SameShape(op, nameof(dOutput), dOutput, nameof(input), input);
    }

    // A saved per-row statistic: f32 with one value per row.
    private void Statistic(string op, string name, Tensor statistic, int rows)
    {
        OpChecks.F32(op, name, statistic, Device);
        OpChecks.Count(op, name, statistic, rows, "the rows N of input");
    }
}
