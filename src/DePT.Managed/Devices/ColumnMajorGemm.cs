using DePT.Native;

namespace DePT.Devices;

/// <summary>
/// The cuBLAS (column-major) call that computes a row-major C (m×n) = op(A) (m×k) · op(B) (k×n): cuBLAS's
/// first operand is our B (its <see cref="TransA"/> and <see cref="Lda"/> are B's), its second our A, and its
/// (M, N) is our (n, m); C keeps its row length as ldc. See <see cref="CudaBlas"/> for why.
/// </summary>
internal readonly record struct ColumnMajorGemm(cublasOperation_t TransA, cublasOperation_t TransB, int M, int N, int K, int Lda, int Ldb)
{
    /// <summary>The call for row-major operands stored with row lengths <paramref name="lda"/> and <paramref name="ldb"/>.</summary>
    public static ColumnMajorGemm For(bool transA, bool transB, int m, int n, int k, int lda, int ldb) =>
        new(Op(transB), Op(transA), n, m, k, ldb, lda);

    private static cublasOperation_t Op(bool transpose) => transpose ? cublasOperation_t.CUBLAS_OP_T : cublasOperation_t.CUBLAS_OP_N;
}
