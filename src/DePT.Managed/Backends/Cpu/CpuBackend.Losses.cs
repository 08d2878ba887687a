using System.Numerics.Tensors;
using Tensor = DePT.Tensors.Tensor;

namespace DePT.Backends.Cpu;

// The model heads' ops: cross-entropy, pooling, argmax, and the KV-cache append.
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void SoftmaxCrossEntropy(Tensor losses, Tensor logits, Tensor labels, int ignoreIndex, float? gradientScale)
    {
        var (n, vocab) = OpChecks.SoftmaxCrossEntropy(nameof(SoftmaxCrossEntropy), Device, losses, logits, labels, gradientScale);
        var targets = Host(labels).AsSpan<int>();
        for (int row = 0; row < n; row++)
            if (targets[row] != ignoreIndex && (uint)targets[row] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(labels),
                    $"{nameof(SoftmaxCrossEntropy)}: label {targets[row]} of row {row} is outside [0, {vocab}) of logits {logits.ShapeText} and is not the ignore index {ignoreIndex}.");
        ForEachRange(n, 4L * vocab, (start, end) =>
        {
            var z = new float[vocab];
            var loss = Host(losses).AsSpan<float>();
            var label = Host(labels).AsSpan<int>();
            for (int row = start; row < end; row++)
            {
                bool ignored = label[row] == ignoreIndex;
                if (ignored && gradientScale is null)
                {
                    loss[row] = 0f;
                    continue;
                }
                ReadRow(logits, (long)row * vocab, z);
                // Stable log-sum-exp: shift by the row maximum, sum in double.
                float max = TensorPrimitives.Max(z);
                double sum = 0;
                foreach (var x in z) sum += Math.Exp(x - max);
                double logSumExp = max + Math.Log(sum);
                loss[row] = ignored ? 0f : (float)(logSumExp - z[label[row]]);
                if (gradientScale is not { } scale) continue;
                if (ignored)
                {
                    Array.Clear(z);
                }
                else
                {
                    int target = label[row];
                    for (int j = 0; j < vocab; j++) z[j] = (float)((Math.Exp(z[j] - logSumExp) - (j == target ? 1 : 0)) * scale);
                }
                WriteRow(logits, (long)row * vocab, z);
            }
        });
    }

    /// <inheritdoc />
    public void Pool(Tensor output, Tensor input, Tensor mask, PoolingKind kind)
    {
        var (batch, t, d) = OpChecks.Pool(nameof(Pool), Device, output, "output", input, "input", mask);
        var row = new float[d];
        var pooled = new float[d];
        for (int b = 0; b < batch; b++)
        {
            if (kind == PoolingKind.Cls)
            {
                ReadRow(input, (long)b * t * d, pooled);
            }
            else
            {
                Array.Clear(pooled);
                int count = MaskedCount(mask, b, t);
                for (int position = 0; position < t; position++)
                {
                    if (Host(mask).AsSpan<int>()[b * t + position] == 0) continue;
                    ReadRow(input, ((long)b * t + position) * d, row);
                    TensorPrimitives.Add(pooled, row, pooled);
                }
                // No position set: the sum is zero, and sentence-transformers' clamp of the count keeps it zero.
                if (count > 0) TensorPrimitives.Divide(pooled, count, pooled);
            }
            WriteRow(output, (long)b * d, pooled);
        }
    }

    /// <inheritdoc />
    public void PoolBackward(Tensor dInput, Tensor dOutput, Tensor mask, PoolingKind kind)
    {
        var (batch, t, d) = OpChecks.Pool(nameof(PoolBackward), Device, dOutput, "dOutput", dInput, "dInput", mask);
        var g = new float[d];
        var share = new float[d];
        var zeros = new float[d];
        for (int b = 0; b < batch; b++)
        {
            ReadRow(dOutput, (long)b * d, g);
            int count = kind == PoolingKind.Cls ? 1 : MaskedCount(mask, b, t);
            if (count > 0) TensorPrimitives.Divide(g, count, share);
            for (int position = 0; position < t; position++)
            {
                bool pooled = kind == PoolingKind.Cls ? position == 0 : Host(mask).AsSpan<int>()[b * t + position] != 0;
                WriteRow(dInput, ((long)b * t + position) * d, pooled ? share : zeros);
            }
        }
    }

    /// <inheritdoc />
    public void ArgMax(Tensor indices, Tensor logits)
    {
        var (n, vocab) = OpChecks.ArgMax(nameof(ArgMax), Device, indices, logits);
        var row = new float[vocab];
        var result = Host(indices).AsSpan<int>();
        for (int i = 0; i < n; i++)
        {
            ReadRow(logits, (long)i * vocab, row);
            // Strictly greater: ties keep the lowest index (comparisons with NaN are false).
            int best = 0;
            for (int j = 1; j < vocab; j++)
                if (row[j] > row[best]) best = j;
            result[i] = best;
        }
    }

    /// <inheritdoc />
    public void WriteRows(Tensor cache, Tensor rows, int position)
    {
        var (batch, count, capacity, d) = OpChecks.CacheRows(nameof(WriteRows), Device, cache, rows, position);
        var block = new float[count * d];
        for (int b = 0; b < batch; b++)
        {
            ReadRow(rows, (long)b * count * d, block);
            WriteRow(cache, ((long)b * capacity + position) * d, block);
        }
    }

    /// <inheritdoc />
    public void ReadRows(Tensor rows, Tensor cache, int position)
    {
        var (batch, count, capacity, d) = OpChecks.CacheRows(nameof(ReadRows), Device, cache, rows, position);
        var block = new float[count * d];
        for (int b = 0; b < batch; b++)
        {
            ReadRow(cache, ((long)b * capacity + position) * d, block);
            WriteRow(rows, (long)b * count * d, block);
        }
    }

    /// <inheritdoc />
    public void GatherRows(Tensor output, Tensor input, Tensor rowIndices)
    {
        var (count, rows, dim) = OpChecks.IndexedRows(nameof(GatherRows), Device, output, nameof(output), input, nameof(input), rowIndices);
        var indices = CheckedRowIndices(rowIndices, rows);
        var row = new float[dim];
        for (int k = 0; k < count; k++)
        {
            ReadRow(input, (long)indices[k] * dim, row);
            WriteRow(output, (long)k * dim, row);
        }
    }

    /// <inheritdoc />
    public void GatherRowsBackward(Tensor dInput, Tensor dOutput, Tensor rowIndices)
    {
        var (count, rows, dim) = OpChecks.IndexedRows(nameof(GatherRowsBackward), Device, dOutput, nameof(dOutput), dInput, nameof(dInput), rowIndices);
        var indices = CheckedRowIndices(rowIndices, rows);
        Fill(dInput, 0f);
        var row = new float[dim];
        for (int k = 0; k < count; k++)
        {
            ReadRow(dOutput, (long)k * dim, row);
            WriteRow(dInput, (long)indices[k] * dim, row);
        }
    }

    /// <summary>The indices, each in [0, rows) and none twice (the backward assigns each listed row once).</summary>
    private static int[] CheckedRowIndices(Tensor rowIndices, int rows)
    {
        var indices = Host(rowIndices).AsSpan<int>().ToArray();
        var seen = new HashSet<int>();
        for (int k = 0; k < indices.Length; k++)
        {
            if ((uint)indices[k] >= (uint)rows)
                throw new ArgumentOutOfRangeException(nameof(rowIndices), $"Row index {indices[k]} at place {k} of the index list is outside [0, {rows}).");
            if (!seen.Add(indices[k]))
                throw new ArgumentException($"Row index {indices[k]} appears twice in the index list (at place {k}); the rows must be distinct.", nameof(rowIndices));
        }
        return indices;
    }

    private static int MaskedCount(Tensor mask, int b, int t)
    {
        int count = 0;
        foreach (var m in Host(mask).AsSpan<int>().Slice(b * t, t))
            if (m != 0) count++;
        return count;
    }
}
