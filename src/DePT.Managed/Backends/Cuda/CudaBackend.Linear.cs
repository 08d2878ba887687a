using DePT.Kernels;
using DePT.Native;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

// Linear layers through cuBLAS (fp32 accumulation; the row-major ↔ column-major mapping is explained once,
// in CudaBlas), with the bias and the fp32-scratch fold in src/DePT.Kernels/linear.cuh.
public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void Linear(Tensor output, Tensor input, Tensor weight, Tensor? bias, bool accumulate)
    {
        const string op = nameof(Linear);
        var (outFeatures, inFeatures) = WeightShape(op, weight);
        int rows = FeatureRows(op, nameof(input), input, inFeatures, weight);
        OpChecks.Float(op, nameof(output), output, Device);
        OpChecks.RowsLike(op, nameof(output), output, nameof(input), input, outFeatures);
        if (bias is not null)
        {
            OpChecks.FloatRank(op, nameof(bias), bias, 1, Device);
            OpChecks.Shape(op, nameof(bias), bias, $"(out={outFeatures})", outFeatures);
        }
        // cuBLAS multiplies operands of one dtype: the input takes the weight's
        using var converted = input.DType == weight.DType ? null : Converted(input, weight.DType);
        // output (N × out) = input (N × in) · weightᵀ, weight stored (out × in)
        GemmInto(output, accumulate, bias, transA: false, transB: true, rows, outFeatures, inFeatures,
            converted ?? input, inFeatures, weight, inFeatures);
    }

    /// <inheritdoc />
    public void LinearBackwardInput(Tensor dInput, Tensor dOutput, Tensor weight, bool accumulate)
    {
        const string op = nameof(LinearBackwardInput);
        var (outFeatures, inFeatures) = WeightShape(op, weight);
        int rows = FeatureRows(op, nameof(dOutput), dOutput, outFeatures, weight);
        OpChecks.Float(op, nameof(dInput), dInput, Device);
        OpChecks.RowsLike(op, nameof(dInput), dInput, nameof(dOutput), dOutput, inFeatures);
        using var converted = dOutput.DType == weight.DType ? null : Converted(dOutput, weight.DType);
        // dInput (N × in) = dOutput (N × out) · weight (out × in)
        GemmInto(dInput, accumulate, bias: null, transA: false, transB: false, rows, inFeatures, outFeatures,
            converted ?? dOutput, outFeatures, weight, inFeatures);
    }

    /// <inheritdoc />
    public void LinearBackwardWeight(Tensor dWeight, Tensor? dBias, Tensor dOutput, Tensor input)
    {
        const string op = nameof(LinearBackwardWeight);
        var (outFeatures, inFeatures) = WeightShape(op, dWeight);
        int rows = FeatureRows(op, nameof(input), input, inFeatures, dWeight);
        OpChecks.Float(op, nameof(dOutput), dOutput, Device);
        OpChecks.RowsLike(op, nameof(dOutput), dOutput, nameof(input), input, outFeatures);
        if (dBias is not null)
        {
            OpChecks.FloatRank(op, nameof(dBias), dBias, 1, Device);
            OpChecks.Shape(op, nameof(dBias), dBias, $"(out={outFeatures})", outFeatures);
        }
        if (rows == 0) return;   // nothing to add

        // mixed operands meet in f32 (widening bf16 is exact)
        using var wideOutput = dOutput.DType == input.DType || dOutput.DType == DType.F32 ? null : Converted(dOutput, DType.F32);
        using var wideInput = dOutput.DType == input.DType || input.DType == DType.F32 ? null : Converted(input, DType.F32);
        // dWeight (out × in) += dOutputᵀ (out × N) · input (N × in), dOutput stored (N × out)
        GemmInto(dWeight, accumulate: true, bias: null, transA: true, transB: false, outFeatures, inFeatures, rows,
            wideOutput ?? dOutput, outFeatures, wideInput ?? input, inFeatures);

        if (dBias is null) return;
        var args = new LinearBiasGradArgs { DBias = Ptr(dBias), DOut = Ptr(dOutput), Rows = rows, Cols = outFeatures, Bf16 = Bf16(dBias, 0) | Bf16(dOutput, 1) };
        CudaDevice.Kernels.Launch("linear_bias_grad", new LaunchShape(LaunchShape.Blocks(outFeatures, 32), 1, 1, 256), args);
    }

    /// <summary>
    /// Row-major c (m × n) = op(a) · op(b), assigned or added (<paramref name="accumulate"/>), plus a bias
    /// over the columns. a and b share a dtype. When cuBLAS can write c's dtype directly the bias is
    /// seeded into c first and the GEMM adds onto it (beta 1), so the sum is rounded once; fp32 operands
    /// with a bf16 c go through an fp32 scratch folded in afterwards.
    /// </summary>
    private void GemmInto(Tensor c, bool accumulate, Tensor? bias, bool transA, bool transB, int m, int n, int k,
        Tensor a, int lda, Tensor b, int ldb)
    {
        if (m == 0 || n == 0) return;
        var blas = CudaDevice.Blas;
        if (a.DType == DType.BF16 || c.DType == DType.F32)
        {
            float beta = accumulate ? 1f : 0f;
            if (bias is not null)
            {
                Epilogue(c, scratch: null, bias, accumulate, m, n);
                beta = 1f;
            }
            blas.Gemm(transA, transB, m, n, k, 1f, DevicePointer(a), a.DType, lda, DevicePointer(b), b.DType, ldb, beta, DevicePointer(c), c.DType, n);
            return;
        }
        using var scratch = Allocate(DType.F32, m, n);
        blas.Gemm(transA, transB, m, n, k, 1f, DevicePointer(a), a.DType, lda, DevicePointer(b), b.DType, ldb, 0f, DevicePointer(scratch), DType.F32, n);
        Epilogue(c, scratch, bias, accumulate, m, n);
    }

    // c (rows × cols) = (accumulate ? c : 0) + scratch + bias
    private void Epilogue(Tensor c, Tensor? scratch, Tensor? bias, bool accumulate, int rows, int cols)
    {
        var args = new LinearEpilogueArgs
        {
            Out = Ptr(c), Src = Ptr(scratch), Bias = Ptr(bias), Rows = rows, Cols = cols, Accumulate = accumulate ? 1 : 0,
            Bf16 = Bf16(c, 0) | Bf16(bias, 2),
        };
        CudaDevice.Kernels.Launch("linear_epilogue", Flat(Chunks(rows, cols)), args);
    }

    // weight (out, in), both at least 1
    private (int Out, int In) WeightShape(string op, Tensor weight)
    {
        OpChecks.FloatRank(op, nameof(weight), weight, 2, Device);
        if (weight.Dim(0) < 1 || weight.Dim(1) < 1)
            throw new ArgumentException($"{op}: weight {weight.ShapeText} must have at least one output and one input feature.", nameof(weight));
        return (weight.Dim(0), weight.Dim(1));
    }

    // rows N of a (…, features) operand whose last dimension must match the weight's
    private int FeatureRows(string op, string name, Tensor tensor, int features, Tensor weight)
    {
        OpChecks.Float(op, name, tensor, Device);
        var (rows, last) = OpChecks.Rows(op, name, tensor);
        if (last != features)
            throw new ArgumentException($"{op}: {name} {tensor.ShapeText} has {last} features in its last dimension; weight {weight.ShapeText} needs {features}.", name);
        return rows;
    }

    private static CUdeviceptr DevicePointer(Tensor tensor) => ((DeviceStorage)tensor.Storage).Pointer;
}
