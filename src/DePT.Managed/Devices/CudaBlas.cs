using DePT.Native;
using DePT.Tensors;

namespace DePT.Devices;

/// <summary>
/// cuBLAS on one device: a handle bound to the device's stream, and GEMMs stated in row-major terms, the
/// layout of every <see cref="Tensor"/>. Products accumulate in fp32 (CUBLAS_COMPUTE_32F: true fp32 for
/// fp32 operands, never TF32, so the fp32 check path stays within 1e-5 of the CPU; tensor cores for bf16),
/// and reductions inside cuBLAS (split-K) stay in fp32 even when the output is bf16.
/// Created on first use by <see cref="CudaDevice.Blas"/> and disposed with the device.
/// </summary>
/// <remarks>
/// The mapping, once for every caller. cuBLAS is column-major, and a row-major matrix M (r×c, leading
/// dimension ld) is, to cuBLAS, the column-major matrix Mᵀ (c×r, same ld). So the row-major product
/// C (m×n) = op(A) (m×k) · op(B) (k×n) is computed as the column-major product Cᵀ (n×m) = op(B)ᵀ · op(A)ᵀ:
/// cuBLAS's first operand is our B, its second our A, with the same transpose flags (B's column-major view
/// is already Bᵀ, so an untransposed B is cuBLAS's "N"), and cuBLAS's (m, n, k) is our (n, m, k).
/// Example, a linear layer Y (N×out) = X (N×in) · Wᵀ with W stored (out×in): A = X (lda = in), B = W
/// transposed (ldb = in) → cublasGemmEx(T, N, m: out, n: N, k: in, W, ld in, X, ld in, Y, ld out).
/// </remarks>
internal sealed unsafe class CudaBlas : IDisposable
{
    private readonly CudaDevice _device;
    private cublasHandle_t _handle;

    internal CudaBlas(CudaDevice device)
    {
        _device = device;
        device.MakeCurrent();
        CudaException.ThrowIfFailed(CuBlas.cublasCreate_v2(out _handle));
        try
        {
            CudaException.ThrowIfFailed(CuBlas.cublasSetStream_v2(_handle, device.Stream));
            CudaException.ThrowIfFailed(CuBlas.cublasSetMathMode(_handle,
                cublasMath_t.CUBLAS_DEFAULT_MATH | cublasMath_t.CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION));
        }
        catch
        {
            CuBlas.cublasDestroy_v2(_handle);
            throw;
        }
    }

    /// <summary>
    /// Row-major C (m×n) = alpha · op(A) · op(B) + beta · C, op(A) m×k, op(B) k×n; lda, ldb, ldc are the
    /// row lengths of the matrices as stored (A is stored k×m when transposed). With beta 0, C is not read.
    /// Operands share one dtype (F32 or BF16); C is F32, or BF16 when the operands are.
    /// </summary>
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
        CUdeviceptr a, DType aType, int lda, CUdeviceptr b, DType bType, int ldb,
        float beta, CUdeviceptr c, DType cType, int ldc)
    {
        CheckTypes(aType, bType, cType);
        var g = ColumnMajorGemm.For(transA, transB, m, n, k, lda, ldb);
        _device.MakeCurrent();
        CudaException.ThrowIfFailed(CuBlas.cublasGemmEx(_handle, g.TransA, g.TransB, g.M, g.N, g.K, &alpha,
                b, DataType(bType), g.Lda, a, DataType(aType), g.Ldb, &beta, c, DataType(cType), ldc,
                cublasComputeType_t.CUBLAS_COMPUTE_32F, cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT),
            call: $"cublasGemmEx(row-major C ({m}×{n}) = op(A){(transA ? "ᵀ" : "")} · op(B){(transB ? "ᵀ" : "")}, k {k}, {aType}·{bType} → {cType})");
    }

    /// <summary>
    /// <see cref="Gemm"/> over <paramref name="batch"/> independent problems whose matrices lie
    /// <paramref name="strideA"/>, <paramref name="strideB"/>, <paramref name="strideC"/> elements apart.
    /// </summary>
    public void GemmStridedBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        CUdeviceptr a, DType aType, int lda, long strideA, CUdeviceptr b, DType bType, int ldb, long strideB,
        float beta, CUdeviceptr c, DType cType, int ldc, long strideC, int batch)
    {
        CheckTypes(aType, bType, cType);
        var g = ColumnMajorGemm.For(transA, transB, m, n, k, lda, ldb);
        _device.MakeCurrent();
        CudaException.ThrowIfFailed(CuBlas.cublasGemmStridedBatchedEx(_handle, g.TransA, g.TransB, g.M, g.N, g.K, &alpha,
                b, DataType(bType), g.Lda, strideB, a, DataType(aType), g.Ldb, strideA, &beta,
                c, DataType(cType), ldc, strideC, batch,
                cublasComputeType_t.CUBLAS_COMPUTE_32F, cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT),
            call: $"cublasGemmStridedBatchedEx(row-major C ({m}×{n}) = op(A){(transA ? "ᵀ" : "")} · op(B){(transB ? "ᵀ" : "")}, k {k}, batch {batch}, {aType}·{bType} → {cType})");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_handle.IsNull) return;
        _device.MakeCurrent();
        CuBlas.cublasDestroy_v2(_handle);
        _handle = default;
    }

    // The combinations cuBLAS offers with CUBLAS_COMPUTE_32F for these types: bf16·bf16 → bf16 or f32, f32·f32 → f32.
    private static void CheckTypes(DType aType, DType bType, DType cType)
    {
        bool ok = aType == bType && (aType == DType.BF16 ? cType is DType.BF16 or DType.F32 : aType == DType.F32 && cType == DType.F32);
        if (!ok)
            throw new ArgumentException($"cuBLAS has no fp32-accumulating GEMM for {aType}·{bType} → {cType}; convert the operands first.");
    }

    private static cudaDataType_t DataType(DType dtype) => dtype switch
    {
        DType.F32 => cudaDataType_t.CUDA_R_32F,
        DType.BF16 => cudaDataType_t.CUDA_R_16BF,
        _ => throw new ArgumentException($"cuBLAS GEMMs take F32 or BF16 matrices, not {dtype}."),
    };
}
