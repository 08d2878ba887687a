using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace DePT.Backends.Cpu;

/// <summary>
/// C (M × N) += A (M × K) · B (K × N) in fp32, for the dense ops. Both operands are packed, zero-padded,
/// into panels (A in groups of <see cref="MR"/> rows, B in panels of two vectors of columns) so that a
/// register-tiled kernel can keep an MR × NR block of C in vector registers and stream A and B with unit
/// stride. Blocked for the caches: KC deep (a B panel stays in L1), MC rows per task (the packed A block
/// stays in L2). Tasks (row block × column block) run in parallel when the work is large; each element of
/// C adds its K products in the same order whatever the thread count, so results are deterministic.
/// </summary>
internal static unsafe class CpuGemm
{
    private const int MR = 6;
    private const int KC = 256;
    private const int MC = 16 * MR;
    private const long ParallelThreshold = 1L << 22;

    private static readonly int W = Vector<float>.Count;
    private static readonly int NR = 2 * W;
    private static readonly int NC = 16 * NR;

    /// <summary>A strided matrix: element (i, j) at Data[i·RowStride + j·ColStride].</summary>
    public readonly struct Operand(float* data, long rowStride, long colStride)
    {
        public float* Data { get; } = data;
        public long RowStride { get; } = rowStride;
        public long ColStride { get; } = colStride;
    }

    /// <summary>C (m × n, row stride ldc) += A (m × k) · B (k × n).</summary>
    public static void MultiplyAdd(int m, int n, int k, Operand a, Operand b, float* c, long ldc)
    {
        if (m == 0 || n == 0 || k == 0) return;
        if (m < MR && (b.RowStride == 1 ? a.ColStride == 1 : b.ColStride == 1))
        {
            FewRows(m, n, k, a, b, c, ldc);
            return;
        }
        int panels = (n + NR - 1) / NR;
        var packedB = ArrayPool<float>.Shared.Rent(checked(panels * NR * k));
        try
        {
            fixed (float* bp = packedB)
            {
                PackB(b, k, n, bp);
                var job = new Job(m, n, k, a, bp, c, ldc);
                long work = (long)m * n * k;
                if (work < ParallelThreshold || Environment.ProcessorCount == 1 || job.Tasks == 1)
                    for (int task = 0; task < job.Tasks; task++) job.Run(task);
                else
                    Parallel.For(0, job.Tasks, job.Run);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packedB);
        }
    }

    /// <summary>
    /// Fewer rows than a register tile (a decoding step, a small head): packing B would cost as much as the
    /// product, so read it in place, as dot products down contiguous columns of B or as row updates along
    /// contiguous rows of B.
    /// </summary>
    private static void FewRows(int m, int n, int k, Operand a, Operand b, float* c, long ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var target = new Span<float>(c + i * ldc, n);
            if (b.RowStride == 1)
            {
                var row = new ReadOnlySpan<float>(a.Data + i * a.RowStride, k);
                for (int j = 0; j < n; j++) target[j] += TensorPrimitives.Dot(row, new ReadOnlySpan<float>(b.Data + j * b.ColStride, k));
            }
            else
            {
                for (int p = 0; p < k; p++)
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(b.Data + p * b.RowStride, n), a.Data[i * a.RowStride + p * a.ColStride], target, target);
            }
        }
    }

    /// <summary>B in panels of NR columns, each K rows deep: packed[panel][p][0..NR), columns past n zero.</summary>
    private static void PackB(Operand b, int k, int n, float* packed)
    {
        int panels = (n + NR - 1) / NR;
        for (int panel = 0; panel < panels; panel++)
        {
            float* dst = packed + (long)panel * k * NR;
            int cols = Math.Min(NR, n - panel * NR);
            if (b.ColStride == 1)
            {
                for (int p = 0; p < k; p++)
                {
                    float* src = b.Data + p * b.RowStride + (long)panel * NR;
                    int j = 0;
                    for (; j < cols; j++) dst[p * NR + j] = src[j];
                    for (; j < NR; j++) dst[p * NR + j] = 0f;
                }
            }
            else
            {
                for (int j = 0; j < NR; j++)
                {
                    if (j >= cols)
                    {
                        for (int p = 0; p < k; p++) dst[p * NR + j] = 0f;
                        continue;
                    }
                    float* src = b.Data + (panel * NR + j) * b.ColStride;
                    for (int p = 0; p < k; p++) dst[p * NR + j] = src[p * b.RowStride];
                }
            }
        }
    }

    /// <summary>Rows [row0, row0 + rows) and depth [p0, p0 + kc) of A in groups of MR rows: packed[group][p][0..MR), rows past the block zero.</summary>
    private static void PackA(Operand a, int row0, int rows, int p0, int kc, float* packed)
    {
        int groups = (rows + MR - 1) / MR;
        for (int g = 0; g < groups; g++)
        {
            float* dst = packed + (long)g * kc * MR;
            int valid = Math.Min(MR, rows - g * MR);
            for (int r = 0; r < MR; r++)
            {
                if (r >= valid)
                {
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = 0f;
                    continue;
                }
                float* src = a.Data + (row0 + g * MR + r) * a.RowStride + p0 * a.ColStride;
                if (a.ColStride == 1)
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = src[p];
                else
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = src[p * a.ColStride];
            }
        }
    }

    /// <summary>
    /// C[0..rows, 0..cols) += Apanel (MR × kc) · Bpanel (kc × NR): twelve vector accumulators (MR rows × two
    /// vectors), one broadcast of A and two loads of B per step of the depth.
    /// </summary>
    private static void Kernel(int kc, float* ap, float* bp, float* c, long ldc, int rows, int cols)
    {
        Vector<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int w = W;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector.Load(bp);
            var b1 = Vector.Load(bp + w);
            var a = new Vector<float>(ap[0]);
            c00 = Vector.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector.FusedMultiplyAdd(a, b1, c01);
            a = new Vector<float>(ap[1]);
            c10 = Vector.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector.FusedMultiplyAdd(a, b1, c11);
            a = new Vector<float>(ap[2]);
            c20 = Vector.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector.FusedMultiplyAdd(a, b1, c21);
            a = new Vector<float>(ap[3]);
            c30 = Vector.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector.FusedMultiplyAdd(a, b1, c31);
            a = new Vector<float>(ap[4]);
            c40 = Vector.FusedMultiplyAdd(a, b0, c40);
            c41 = Vector.FusedMultiplyAdd(a, b1, c41);
            a = new Vector<float>(ap[5]);
            c50 = Vector.FusedMultiplyAdd(a, b0, c50);
            c51 = Vector.FusedMultiplyAdd(a, b1, c51);
            ap += MR;
            bp += 2 * w;
        }

        if (rows == MR && cols == 2 * w)
        {
            AddRow(c, w, c00, c01);
            AddRow(c + ldc, w, c10, c11);
            AddRow(c + 2 * ldc, w, c20, c21);
            AddRow(c + 3 * ldc, w, c30, c31);
            AddRow(c + 4 * ldc, w, c40, c41);
            AddRow(c + 5 * ldc, w, c50, c51);
            return;
        }
        // A partial tile: spill the block and add only the valid part.
        float* tile = stackalloc float[MR * 2 * w];
        int nr = 2 * w;
        c00.Store(tile); c01.Store(tile + w);
        c10.Store(tile + nr); c11.Store(tile + nr + w);
        c20.Store(tile + 2 * nr); c21.Store(tile + 2 * nr + w);
        c30.Store(tile + 3 * nr); c31.Store(tile + 3 * nr + w);
        c40.Store(tile + 4 * nr); c41.Store(tile + 4 * nr + w);
        c50.Store(tile + 5 * nr); c51.Store(tile + 5 * nr + w);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
                c[r * ldc + j] += tile[r * nr + j];
    }

    private static void AddRow(float* c, int w, Vector<float> low, Vector<float> high)
    {
        (Vector.Load(c) + low).Store(c);
        (Vector.Load(c + w) + high).Store(c + w);
    }

    /// <summary>One multiply: its tasks are (row block of MC rows) × (column block of NC columns).</summary>
    private sealed class Job(int m, int n, int k, Operand a, float* packedB, float* c, long ldc)
    {
        private readonly int _rowBlocks = (m + MC - 1) / MC;
        private readonly int _colBlocks = (n + NC - 1) / NC;

        public int Tasks => _rowBlocks * _colBlocks;

        public void Run(int task)
        {
            int row0 = task / _colBlocks * MC, rows = Math.Min(MC, m - row0);
            int col0 = task % _colBlocks * NC, cols = Math.Min(NC, n - col0);
            int groups = (rows + MR - 1) / MR;
            var packedA = ArrayPool<float>.Shared.Rent(groups * MR * Math.Min(KC, k));
            try
            {
                fixed (float* ap = packedA)
                {
                    for (int p0 = 0; p0 < k; p0 += KC)
                    {
                        int kc = Math.Min(KC, k - p0);
                        PackA(a, row0, rows, p0, kc, ap);
                        for (int j0 = 0; j0 < cols; j0 += NR)
                        {
                            float* bPanel = packedB + (long)(col0 + j0) / NR * k * NR + (long)p0 * NR;
                            int panelCols = Math.Min(NR, cols - j0);
                            for (int g = 0; g < groups; g++)
                                Kernel(kc, ap + (long)g * kc * MR, bPanel, c + (row0 + g * MR) * ldc + col0 + j0, ldc,
                                    Math.Min(MR, rows - g * MR), panelCols);
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(packedA);
            }
        }
    }
}
