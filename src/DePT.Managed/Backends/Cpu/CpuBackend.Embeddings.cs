using System.Numerics.Tensors;
using Tensor = DePT.Tensors.Tensor;

namespace DePT.Backends.Cpu;

// Token, position and token-type embeddings, and T5's relative position bias.
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void EmbeddingLookup(Tensor output, Tensor tokenIds, Tensor table, float scale)
    {
        var (count, d, vocab) = OpChecks.EmbeddingLookup(nameof(EmbeddingLookup), Device, output, tokenIds, table);
        var ids = Host(tokenIds).AsSpan<int>();
        int seqLen = tokenIds.Dim(1);
        for (int i = 0; i < count; i++)
            if ((uint)ids[i] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(tokenIds),
                    $"{nameof(EmbeddingLookup)}: token id {ids[i]} at [{i / seqLen}, {i % seqLen}] of tokenIds {tokenIds.ShapeText} is outside the vocabulary [0, {vocab}) of table {table.ShapeText}.");
        ForEachRange(count, d, (start, end) =>
        {
            var row = new float[d];
            for (int i = start; i < end; i++)
            {
                ReadRow(table, (long)Host(tokenIds).AsSpan<int>()[i] * d, row);
                TensorPrimitives.Multiply(row, scale, row);
                WriteRow(output, (long)i * d, row);
            }
        });
    }

    /// <inheritdoc />
    public void AddPositionEmbeddings(Tensor x, Tensor positions, Tensor tokenTypes, Tensor? tokenTypeIds)
    {
        var (b, t, d, types) = OpChecks.PositionEmbeddings(nameof(AddPositionEmbeddings), Device, x, positions, tokenTypes, tokenTypeIds);
        if (tokenTypeIds is not null)
        {
            var typeIds = Host(tokenTypeIds).AsSpan<int>();
            for (int i = 0; i < typeIds.Length; i++)
                if ((uint)typeIds[i] >= (uint)types)
                    throw new ArgumentOutOfRangeException(nameof(tokenTypeIds),
                        $"{nameof(AddPositionEmbeddings)}: token type id {typeIds[i]} at [{i / t}, {i % t}] is outside [0, {types}) of tokenTypes {tokenTypes.ShapeText}.");
        }
        var positionRows = new float[t * d];
        ReadRow(positions, 0, positionRows);
        var typeRows = ReadAll(tokenTypes);
        ForEachRange(b * t, 3L * d, (start, end) =>
        {
            var row = new float[d];
            for (int i = start; i < end; i++)
            {
                int type = tokenTypeIds is null ? 0 : Host(tokenTypeIds).AsSpan<int>()[i];
                ReadRow(x, (long)i * d, row);
                TensorPrimitives.Add(row, positionRows.AsSpan(i % t * d, d), row);
                TensorPrimitives.Add(row, typeRows.AsSpan(type * d, d), row);
                WriteRow(x, (long)i * d, row);
            }
        });
    }

    /// <inheritdoc />
    public void RelativePositionBias(Tensor bias, Tensor table, int queryOffset, bool bidirectional, int maxDistance)
    {
        var (heads, tq, tk, buckets) = OpChecks.RelativePositionBias(nameof(RelativePositionBias), Device, bias, table, queryOffset, bidirectional, maxDistance);
        var weights = ReadAll(table);
        var target = Host(bias).AsSpan<float>();
        // Relative positions j − (i + offset) run from −(tq − 1 + offset) to tk − 1 − offset: one bucket each.
        int lowest = -(tq - 1 + queryOffset);
        var bucketOf = new int[tq + tk - 1];
        for (int k = 0; k < bucketOf.Length; k++) bucketOf[k] = RelativePositionBucket(lowest + k, bidirectional, buckets, maxDistance);
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < tq; i++)
                for (int j = 0; j < tk; j++)
                    target[(h * tq + i) * tk + j] = weights[bucketOf[j - (i + queryOffset) - lowest] * heads + h];
    }

    /// <summary>
    /// T5's bucket of a relative position (key − query), as transformers' T5Attention._relative_position_bucket
    /// computes it: bidirectional uses half the buckets per direction (keys after the query in the upper half),
    /// causal only looks back (−min(relative, 0)). With n buckets per direction the first n/2 distances are exact;
    /// larger ones are log-spaced up to <paramref name="maxDistance"/> and clamp to the last bucket. The log is taken
    /// in float32 with the divisor rounded from double, as PyTorch does, so boundary distances land alike.
    /// </summary>
    internal static int RelativePositionBucket(int relative, bool bidirectional, int buckets, int maxDistance)
    {
        int bucket = 0, n = buckets, distance;
        if (bidirectional)
        {
            n /= 2;
            if (relative > 0) bucket += n;
            distance = Math.Abs(relative);
        }
        else
        {
            distance = -Math.Min(relative, 0);
        }
        int maxExact = n / 2;
        if (distance < maxExact) return bucket + distance;
        float logRatio = MathF.Log((float)distance / maxExact) / (float)Math.Log((double)maxDistance / maxExact);
        int large = maxExact + (int)(logRatio * (n - maxExact));
        return bucket + Math.Min(large, n - 1);
    }
}
