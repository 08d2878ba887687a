using System.Numerics.Tensors;
using DePT.Tensors;
using Tensor = DePT.Tensors.Tensor;

namespace DePT.Backends.Cpu;

// Unfused attention, one (example, key/value head) pair at a time: the pair's query heads (one, or a group under
// grouped-query attention) are stacked into one (group·Tq, dh) matrix against its keys; the probabilities are
// materialised and saved as (B, H, Tq, Tk), which is (B, Hkv, group·Tq, Tk) with each pair's rows contiguous.
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public unsafe AttentionState Attention(Tensor output, Tensor query, Tensor key, Tensor value, Tensor? keyMask, PositionBias? positionBias, AttentionOptions options)
    {
        var s = OpChecks.Attention(nameof(Attention), Device, output, query, key, value, keyMask, positionBias, options);
        var bias = ScoreBias.Of(positionBias, s, options);
        var saved = Allocate(DType.F32, s.Batch, s.Heads, s.QueryLen, s.KeyLen);
        int tq = s.QueryLen, tk = s.KeyLen, dh = s.HeadDim, rows = s.Group * tq;
        ForEachRange(s.Batch * s.KeyValueHeads, 2L * rows * tk * dh, (start, end) =>
        {
            var q = new float[rows * dh];
            var k = new float[tk * dh];
            var v = new float[tk * dh];
            var o = new float[rows * dh];
            var probabilities = new float[rows * tk];
            for (int pair = start; pair < end; pair++)
            {
                int b = pair / s.KeyValueHeads, kvHead = pair % s.KeyValueHeads;
                for (int g = 0; g < s.Group; g++)
                    ReadHead(query, s.Width, dh, b, kvHead * s.Group + g, tq, tq, q.AsSpan(g * tq * dh));
                ReadHead(key, s.KeyWidth, dh, b, kvHead, s.Capacity, tk, k);
                ReadHead(value, s.KeyWidth, dh, b, kvHead, s.Capacity, tk, v);
                Array.Clear(probabilities);
                Array.Clear(o);
                fixed (float* qp = q, kp = k, vp = v, op = o, pp = probabilities)
                {
                    // S = Q·Kᵀ (rows × tk), then each row becomes its probabilities; O = P·V (rows × dh).
                    CpuGemm.MultiplyAdd(rows, tk, dh, new(qp, dh, 1), new(kp, 1, dh), pp, tk);
                    for (int r = 0; r < rows; r++)
                        Softmax(MaskedScores(probabilities.AsSpan(r * tk, tk), r % tq, b, kvHead * s.Group + r / tq, s, options, keyMask, bias));
                    CpuGemm.MultiplyAdd(rows, dh, tk, new(pp, tk, 1), new(vp, dh, 1), op, dh);
                }
                probabilities.CopyTo(Host(saved).AsSpan<float>().Slice(pair * rows * tk, rows * tk));
                for (int g = 0; g < s.Group; g++)
                    WriteHead(output, s.Width, dh, b, kvHead * s.Group + g, tq, o.AsSpan(g * tq * dh, tq * dh));
            }
        });
        return AttentionState.Unfused(saved, options, tk, keyMask, positionBias);
    }

    /// <inheritdoc />
    public unsafe void AttentionBackward(Tensor dQuery, Tensor dKey, Tensor dValue, Tensor dOutput, Tensor query, Tensor key, Tensor value, AttentionState state)
    {
        var s = OpChecks.AttentionBackward(nameof(AttentionBackward), Device, dQuery, dKey, dValue, dOutput, query, key, value, state);
        int tq = s.QueryLen, tk = s.KeyLen, dh = s.HeadDim, rows = s.Group * tq;
        float scale = state.Options.Scale;
        ForEachRange(s.Batch * s.KeyValueHeads, 8L * rows * tk * dh, (start, end) =>
        {
            var q = new float[rows * dh];
            var k = new float[tk * dh];
            var v = new float[tk * dh];
            var dO = new float[rows * dh];
            var dQ = new float[rows * dh];
            var dK = new float[s.Capacity * dh];
            var dV = new float[s.Capacity * dh];
            var dS = new float[rows * tk];
            for (int pair = start; pair < end; pair++)
            {
                int b = pair / s.KeyValueHeads, kvHead = pair % s.KeyValueHeads;
                for (int g = 0; g < s.Group; g++)
                {
                    ReadHead(query, s.Width, dh, b, kvHead * s.Group + g, tq, tq, q.AsSpan(g * tq * dh));
                    ReadHead(dOutput, s.Width, dh, b, kvHead * s.Group + g, tq, tq, dO.AsSpan(g * tq * dh));
                }
                ReadHead(key, s.KeyWidth, dh, b, kvHead, s.Capacity, tk, k);
                ReadHead(value, s.KeyWidth, dh, b, kvHead, s.Capacity, tk, v);
                var p = Host(state.Probabilities!).AsSpan<float>().Slice(pair * rows * tk, rows * tk);
                Array.Clear(dQ);
                // Cache rows past the live keys took no part: their gradient stays zero.
                Array.Clear(dK);
                Array.Clear(dV);
                Array.Clear(dS);
                fixed (float* qp = q, kp = k, vp = v, dOp = dO, dQp = dQ, dKp = dK, dVp = dV, dSp = dS, pp = p)
                {
                    // dV = Pᵀ·dO; dP = dO·Vᵀ (held in dS); dS = scale·P ⊙ (dP − rowsum(dP ⊙ P)); dQ = dS·K; dK = dSᵀ·Q.
                    // The products over the stacked rows sum the group's query heads into their shared dK and dV.
                    CpuGemm.MultiplyAdd(tk, dh, rows, new(pp, 1, tk), new(dOp, dh, 1), dVp, dh);
                    CpuGemm.MultiplyAdd(rows, tk, dh, new(dOp, dh, 1), new(vp, 1, dh), dSp, tk);
                    for (int i = 0; i < rows; i++)
                    {
                        var pi = p.Slice(i * tk, tk);
                        var row = dS.AsSpan(i * tk, tk);
                        double rowDot = 0;
                        for (int j = 0; j < tk; j++) rowDot += (double)pi[j] * row[j];
                        for (int j = 0; j < tk; j++) row[j] = (float)(pi[j] * (row[j] - rowDot)) * scale;
                    }
                    CpuGemm.MultiplyAdd(rows, dh, tk, new(dSp, tk, 1), new(kp, dh, 1), dQp, dh);
                    CpuGemm.MultiplyAdd(tk, dh, rows, new(dSp, 1, tk), new(qp, dh, 1), dKp, dh);
                }
                for (int g = 0; g < s.Group; g++)
                    WriteHead(dQuery, s.Width, dh, b, kvHead * s.Group + g, tq, dQ.AsSpan(g * tq * dh, tq * dh));
                WriteHead(dKey, s.KeyWidth, dh, b, kvHead, s.Capacity, dK);
                WriteHead(dValue, s.KeyWidth, dh, b, kvHead, s.Capacity, dV);
            }
        });
    }

    /// <summary>The dh columns of head h for the first <paramref name="rows"/> rows of example b of a (B, T, width) tensor.</summary>
    private static void ReadHead(Tensor tensor, int width, int headDim, int b, int h, int seqLen, int rows, Span<float> head)
    {
        for (int t = 0; t < rows; t++)
            ReadRow(tensor, ((long)b * seqLen + t) * width + h * headDim, head.Slice(t * headDim, headDim));
    }

    /// <summary>Writes the dh columns of head h for all rows of example b of a (B, T, width) tensor.</summary>
    private static void WriteHead(Tensor tensor, int width, int headDim, int b, int h, int seqLen, ReadOnlySpan<float> head)
    {
        for (int t = 0; t < seqLen; t++)
            WriteRow(tensor, ((long)b * seqLen + t) * width + h * headDim, head.Slice(t * headDim, headDim));
    }

    /// <summary>Turns the dot products q·k of query row i into scores: scale·q·k + bias, −∞ where the key mask or causality hides the key.</summary>
    private static Span<float> MaskedScores(Span<float> scores, int i, int b, int h, OpChecks.AttentionSizes s, AttentionOptions options, Tensor? keyMask, ScoreBias bias)
    {
        var mask = keyMask is null ? default : Host(keyMask).AsSpan<int>().Slice(b * s.MaskStride, s.KeyLen);
        int lastVisible = options.Causal ? Math.Min(s.KeyLen - 1, i + options.QueryOffset) : s.KeyLen - 1;
        for (int j = 0; j < s.KeyLen; j++)
        {
            if (j > lastVisible || (keyMask is not null && mask[j] == 0))
                scores[j] = float.NegativeInfinity;
            else
                scores[j] = options.Scale * scores[j] + bias.At(h, i, j);
        }
        return scores;
    }

    /// <summary>
    /// The additive bias of score (h, i, j): a dense tensor's element, or T5's table entry of the bucket of j − (i + queryOffset)
    /// (buckets looked up once per relative position, as <see cref="RelativePositionBias"/> does), or 0.
    /// </summary>
    private sealed class ScoreBias
    {
        private readonly float[]? _dense, _table;
        private readonly int[]? _bucketOf;
        private readonly int _queryLen, _stride, _heads, _lowest;

        private ScoreBias(float[]? dense, float[]? table, int[]? bucketOf, int queryLen, int stride, int heads, int lowest)
        {
            (_dense, _table, _bucketOf, _queryLen, _stride, _heads, _lowest) = (dense, table, bucketOf, queryLen, stride, heads, lowest);
        }

        public static ScoreBias Of(PositionBias? bias, OpChecks.AttentionSizes s, AttentionOptions options)
        {
            if (bias?.Dense is { } dense) return new ScoreBias(Host(dense).AsSpan<float>().ToArray(), null, null, s.QueryLen, s.BiasStride, s.Heads, 0);
            if (bias?.Table is not { } table) return new ScoreBias(null, null, null, s.QueryLen, 0, s.Heads, 0);
            // relative positions j − (i + offset) run from −(Tq − 1 + offset) to Tk − 1 − offset
            int lowest = -(s.QueryLen - 1 + options.QueryOffset);
            var bucketOf = new int[s.QueryLen + s.KeyLen - 1];
            for (int k = 0; k < bucketOf.Length; k++)
                bucketOf[k] = RelativePositionBucket(lowest + k, bias.Bidirectional, table.Dim(0), bias.MaxDistance);
            return new ScoreBias(null, ReadAll(table), bucketOf, s.QueryLen, 0, s.Heads, lowest + options.QueryOffset);
        }

        public float At(int h, int i, int j) =>
            _dense is not null ? _dense[(h * _queryLen + i) * _stride + j]
            : _table is not null ? _table[_bucketOf![j - i - _lowest] * _heads + h]
            : 0f;
    }

    /// <summary>Softmax in place, −∞ entries at exactly 0 (exp(−∞) = 0); a row with no finite score becomes all zeros.</summary>
    private static void Softmax(Span<float> row)
    {
        float max = TensorPrimitives.Max(row);
        if (float.IsNegativeInfinity(max))
        {
            row.Clear();
            return;
        }
        // Scalar MathF.Exp: TensorPrimitives.Exp measured several times slower on the AVX-512 machine here.
        double sum = 0;
        for (int j = 0; j < row.Length; j++)
        {
            row[j] = MathF.Exp(row[j] - max);
            sum += row[j];
        }
        TensorPrimitives.Multiply(row, (float)(1 / sum), row);
    }
}
