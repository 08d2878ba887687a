using DePT.Devices;
using DePT.Native;

namespace DePT.Tests.OpsGpu;

/// <summary>
/// The row-major → column-major mapping of <see cref="CudaBlas"/>, checked on the CPU: the cuBLAS call it
/// produces, evaluated with cuBLAS's column-major semantics on the same memory, must give the row-major
/// product. Covers every transpose combination and the leading dimensions the ops pass.
/// </summary>
public class GemmMappingTests
{
    public static IEnumerable<TestCaseData> Products()
    {
        foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
                foreach (var (m, n, k) in new[] { (1, 1, 1), (3, 5, 7), (8, 2, 9), (13, 11, 4) })
                    yield return new TestCaseData(transA, transB, m, n, k).SetArgDisplayNames($"{(transA ? "Aᵀ" : "A")}·{(transB ? "Bᵀ" : "B")} {m}x{n}x{k}");
    }

    [TestCaseSource(nameof(Products))]
    public void ColumnMajorCallComputesTheRowMajorProduct(bool transA, bool transB, int m, int n, int k)
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        // row-major storage: A is (m × k), or (k × m) when transposed; B is (k × n), or (n × k)
        int lda = transA ? m : k, ldb = transB ? k : n;
        var a = Values(rng, m * k);
        var b = Values(rng, k * n);
        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++)
                    expected[i * n + j] += (transA ? a[p * lda + i] : a[i * lda + p]) * (double)(transB ? b[j * ldb + p] : b[p * ldb + j]);

        var call = ColumnMajorGemm.For(transA, transB, m, n, k, lda, ldb);
        var c = new double[m * n];
        // cuBLAS: C (M × N, column-major, ldc = n) = op(first) · op(second), first = our B, second = our A
        ColumnMajor(call.TransA, call.TransB, call.M, call.N, call.K, b, call.Lda, a, call.Ldb, c, n);
        Assert.That(c, Is.EqualTo(expected).Within(1e-9));
    }

    [Test]
    public void LinearLayerIsTheDocumentedCall()
    {
        // Y (N × out) = X (N × in) · Wᵀ, W stored (out × in): cublasGemmEx(T, N, m: out, n: N, k: in, W ld in, X ld in)
        var call = ColumnMajorGemm.For(transA: false, transB: true, m: 6, n: 4, k: 5, lda: 5, ldb: 5);
        Assert.That(call, Is.EqualTo(new ColumnMajorGemm(cublasOperation_t.CUBLAS_OP_T, cublasOperation_t.CUBLAS_OP_N, 4, 6, 5, 5, 5)));
    }

    // The reference semantics of cublasGemmEx: column-major, element (r, c) of a matrix at r + c·ld.
    private static void ColumnMajor(cublasOperation_t transA, cublasOperation_t transB, int m, int n, int k,
        float[] a, int lda, float[] b, int ldb, double[] c, int ldc)
    {
        for (int col = 0; col < n; col++)
            for (int row = 0; row < m; row++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA == cublasOperation_t.CUBLAS_OP_N ? a[row + p * lda] : a[p + row * lda];
                    float bv = transB == cublasOperation_t.CUBLAS_OP_N ? b[p + col * ldb] : b[col + p * ldb];
                    sum += (double)av * bv;
                }
                c[row + col * ldc] = sum;
            }
    }

    private static float[] Values(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (rng.Next(2) == 0 ? -1 : 1) * (0.05f + 0.95f * rng.NextSingle());
        return v;
    }
}
