using System.Runtime.InteropServices;

namespace DePT.Native;

/// <summary>
/// cuBLAS (libcublas 13 or 12) as cublas_api.h declares it: the _v2 entry points that cublas_v2.h maps the
/// plain names to, exact C names, no policy. Matrices are column-major, as in cuBLAS.
/// </summary>
/// <remarks>
/// Device matrices are passed as <see cref="CUdeviceptr"/> where C takes <c>const void*</c> / <c>void*</c>:
/// both are one 64-bit integer-class argument on the 64-bit platforms we run on. alpha and beta point to host
/// memory in cuBLAS's default pointer mode, typed as the compute type's scalar (float for the 32F types).
/// </remarks>
internal static unsafe partial class CuBlas
{
    [LibraryImport(NativeLibraries.Cublas)]
    internal static partial cublasStatus_t cublasCreate_v2(out cublasHandle_t handle);

    [LibraryImport(NativeLibraries.Cublas)]
    internal static partial cublasStatus_t cublasDestroy_v2(cublasHandle_t handle);

    /// <summary>Binds the handle to a stream (cudaStream_t is the driver's CUstream).</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    internal static partial cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, CUstream streamId);

    /// <summary>The library version as major * 10000 + minor * 100 + patch (130100 for 13.1.0).</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    internal static partial cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, out int version);

    [LibraryImport(NativeLibraries.Cublas)]
    internal static partial cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);

    /// <summary>C = alpha * op(A) * op(B) + beta * C, with op(A) m×k, op(B) k×n, C m×n, all column-major.</summary>
    [LibraryImport(NativeLibraries.Cublas)]
    internal static partial cublasStatus_t cublasGemmEx(
        cublasHandle_t handle,
        cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k,
        void* alpha,
        CUdeviceptr A, cudaDataType_t Atype, int lda,
        CUdeviceptr B, cudaDataType_t Btype, int ldb,
        void* beta,
        CUdeviceptr C, cudaDataType_t Ctype, int ldc,
        cublasComputeType_t computeType, cublasGemmAlgo_t algo);

    /// <summary>
    /// <see cref="cublasGemmEx"/> over <paramref name="batchCount"/> problems whose matrices lie
    /// <paramref name="strideA"/>, <paramref name="strideB"/>, <paramref name="strideC"/> elements apart.
    /// </summary>
    [LibraryImport(NativeLibraries.Cublas)]
    internal static partial cublasStatus_t cublasGemmStridedBatchedEx(
        cublasHandle_t handle,
        cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k,
        void* alpha,
        CUdeviceptr A, cudaDataType_t Atype, int lda, long strideA,
        CUdeviceptr B, cudaDataType_t Btype, int ldb, long strideB,
        void* beta,
        CUdeviceptr C, cudaDataType_t Ctype, int ldc, long strideC,
        int batchCount,
        cublasComputeType_t computeType, cublasGemmAlgo_t algo);

    // The returned strings are static and owned by cuBLAS: read them, never free them.
    [LibraryImport(NativeLibraries.Cublas)]
    internal static partial byte* cublasGetStatusName(cublasStatus_t status);

    [LibraryImport(NativeLibraries.Cublas)]
    internal static partial byte* cublasGetStatusString(cublasStatus_t status);
}

/// <summary><c>cublasHandle_t</c>: an opaque pointer.</summary>
internal readonly record struct cublasHandle_t(nint Handle)
{
    public bool IsNull => Handle == 0;
}

/// <summary><c>cublasStatus_t</c>: every value of cublas_api.h.</summary>
internal enum cublasStatus_t
{
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    CUBLAS_STATUS_LICENSE_ERROR = 16,
}

/// <summary><c>cublasOperation_t</c>.</summary>
internal enum cublasOperation_t
{
    CUBLAS_OP_N = 0,
    CUBLAS_OP_T = 1,
    CUBLAS_OP_C = 2,
    CUBLAS_OP_CONJG = 3,
}

/// <summary><c>cudaDataType_t</c> (library_types.h): the element type of a matrix.</summary>
internal enum cudaDataType_t
{
    CUDA_R_32F = 0,
    CUDA_R_64F = 1,
    CUDA_R_16F = 2,
    CUDA_R_8I = 3,
    CUDA_C_32F = 4,
    CUDA_C_64F = 5,
    CUDA_C_16F = 6,
    CUDA_C_8I = 7,
    CUDA_R_8U = 8,
    CUDA_C_8U = 9,
    CUDA_R_32I = 10,
    CUDA_C_32I = 11,
    CUDA_R_32U = 12,
    CUDA_C_32U = 13,
    CUDA_R_16BF = 14,
    CUDA_C_16BF = 15,
    CUDA_R_4I = 16,
    CUDA_C_4I = 17,
    CUDA_R_4U = 18,
    CUDA_C_4U = 19,
    CUDA_R_16I = 20,
    CUDA_C_16I = 21,
    CUDA_R_16U = 22,
    CUDA_C_16U = 23,
    CUDA_R_64I = 24,
    CUDA_C_64I = 25,
    CUDA_R_64U = 26,
    CUDA_C_64U = 27,
    CUDA_R_8F_E4M3 = 28,
    CUDA_R_8F_E5M2 = 29,
    CUDA_R_8F_UE8M0 = 30,
    CUDA_R_6F_E2M3 = 31,
    CUDA_R_6F_E3M2 = 32,
    CUDA_R_4F_E2M1 = 33,
}

/// <summary><c>cublasComputeType_t</c>: the precision products are accumulated in.</summary>
internal enum cublasComputeType_t
{
    CUBLAS_COMPUTE_16F = 64,
    CUBLAS_COMPUTE_16F_PEDANTIC = 65,
    /// <summary>fp32 accumulation; with bf16 or fp16 inputs this runs on tensor cores.</summary>
    CUBLAS_COMPUTE_32F = 68,
    CUBLAS_COMPUTE_32F_PEDANTIC = 69,
    CUBLAS_COMPUTE_64F = 70,
    CUBLAS_COMPUTE_64F_PEDANTIC = 71,
    CUBLAS_COMPUTE_32I = 72,
    CUBLAS_COMPUTE_32I_PEDANTIC = 73,
    CUBLAS_COMPUTE_32F_FAST_16F = 74,
    CUBLAS_COMPUTE_32F_FAST_16BF = 75,
    /// <summary>fp32 inputs and accumulation, products on tensor cores in TF32.</summary>
    CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
    CUBLAS_COMPUTE_32F_EMULATED_16BFX9 = 78,
    CUBLAS_COMPUTE_64F_EMULATED_FIXEDPOINT = 79,
}

/// <summary><c>cublasGemmAlgo_t</c>: CUBLAS_GEMM_DEFAULT lets cuBLAS choose.</summary>
internal enum cublasGemmAlgo_t
{
    CUBLAS_GEMM_DEFAULT = -1,
    CUBLAS_GEMM_ALGO0 = 0,
    CUBLAS_GEMM_ALGO1 = 1,
    CUBLAS_GEMM_ALGO2 = 2,
    CUBLAS_GEMM_ALGO3 = 3,
    CUBLAS_GEMM_ALGO4 = 4,
    CUBLAS_GEMM_ALGO5 = 5,
    CUBLAS_GEMM_ALGO6 = 6,
    CUBLAS_GEMM_ALGO7 = 7,
    CUBLAS_GEMM_ALGO8 = 8,
    CUBLAS_GEMM_ALGO9 = 9,
    CUBLAS_GEMM_ALGO10 = 10,
    CUBLAS_GEMM_ALGO11 = 11,
    CUBLAS_GEMM_ALGO12 = 12,
    CUBLAS_GEMM_ALGO13 = 13,
    CUBLAS_GEMM_ALGO14 = 14,
    CUBLAS_GEMM_ALGO15 = 15,
    CUBLAS_GEMM_ALGO16 = 16,
    CUBLAS_GEMM_ALGO17 = 17,
    CUBLAS_GEMM_ALGO18 = 18,
    CUBLAS_GEMM_ALGO19 = 19,
    CUBLAS_GEMM_ALGO20 = 20,
    CUBLAS_GEMM_ALGO21 = 21,
    CUBLAS_GEMM_ALGO22 = 22,
    CUBLAS_GEMM_ALGO23 = 23,
    CUBLAS_GEMM_DEFAULT_TENSOR_OP = 99,
    CUBLAS_GEMM_ALGO0_TENSOR_OP = 100,
    CUBLAS_GEMM_ALGO1_TENSOR_OP = 101,
    CUBLAS_GEMM_ALGO2_TENSOR_OP = 102,
    CUBLAS_GEMM_ALGO3_TENSOR_OP = 103,
    CUBLAS_GEMM_ALGO4_TENSOR_OP = 104,
    CUBLAS_GEMM_ALGO5_TENSOR_OP = 105,
    CUBLAS_GEMM_ALGO6_TENSOR_OP = 106,
    CUBLAS_GEMM_ALGO7_TENSOR_OP = 107,
    CUBLAS_GEMM_ALGO8_TENSOR_OP = 108,
    CUBLAS_GEMM_ALGO9_TENSOR_OP = 109,
    CUBLAS_GEMM_ALGO10_TENSOR_OP = 110,
    CUBLAS_GEMM_ALGO11_TENSOR_OP = 111,
    CUBLAS_GEMM_ALGO12_TENSOR_OP = 112,
    CUBLAS_GEMM_ALGO13_TENSOR_OP = 113,
    CUBLAS_GEMM_ALGO14_TENSOR_OP = 114,
    CUBLAS_GEMM_ALGO15_TENSOR_OP = 115,
    CUBLAS_GEMM_AUTOTUNE = 999,
}

/// <summary>
/// <c>cublasMath_t</c>: one mode, optionally OR-ed with
/// <see cref="CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION"/>.
/// </summary>
internal enum cublasMath_t
{
    CUBLAS_DEFAULT_MATH = 0,
    CUBLAS_TENSOR_OP_MATH = 1,
    CUBLAS_PEDANTIC_MATH = 2,
    CUBLAS_TF32_TENSOR_OP_MATH = 3,
    CUBLAS_FP32_EMULATED_BF16X9_MATH = 4,
    CUBLAS_FP64_EMULATED_FIXEDPOINT_MATH = 8,
    CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16,
}
