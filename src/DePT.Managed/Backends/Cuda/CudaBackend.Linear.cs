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
        var (rows, inFeatures, outFeatures) = OpChecks.Linear(nameof(Linear), Device, output, input, weight, bias);
        // cuBLAS multiplies operands of one dtype: the input takes the weight's
        using var converted = input.DType == weight.DType ? null : Converted(input, weight.DType);
        // output (N × out) = input (N × in) · weightᵀ, weight stored (out × in)
        GemmInto(output, accumulate, bias, transA: false, transB: true, rows, outFeatures, inFeatures,
            converted ?? input, inFeatures, weight, inFeatures);
    }

    /// <inheritdoc />
    public void LinearBackwardInput(Tensor dInput, Tensor dOutput, Tensor weight, bool accumulate)
    {
        var (rows, inFeatures, outFeatures) = OpChecks.LinearBackwardInput(nameof(LinearBackwardInput), Device, dInput, dOutput, weight);
        using var converted = dOutput.DType == weight.DType ? null : Converted(dOutput, weight.DType);
        // dInput (N × in) = dOutput (N × out) · weight (out × in)
        GemmInto(dInput, accumulate, bias: null, transA: false, transB: false, rows, inFeatures, outFeatures,
            converted ?? dOutput, outFeatures, weight, inFeatures);
    }

    /// <inheritdoc />
    public void LinearBackwardWeight(Tensor dWeight, Tensor? dBias, Tensor dOutput, Tensor input)
    {
        var (rows, inFeatures, outFeatures) = OpChecks.LinearBackwardWeight(nameof(LinearBackwardWeight), Device, dWeight, dBias, dOutput, input);
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

    private static CUdeviceptr DevicePointer(Tensor tensor) => ((DeviceStorage)tensor.Storage).Pointer;
}
