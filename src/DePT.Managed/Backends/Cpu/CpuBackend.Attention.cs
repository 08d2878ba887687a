using System.Numerics.Tensors;
using DePT.Tensors;
using Tensor = DePT.Tensors.Tensor;

namespace DePT.Backends.Cpu;

// Unfused attention, one (example, head) pair at a time: the probabilities are materialised and saved.
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public AttentionState Attention(Tensor output, Tensor query, Tensor key, Tensor value, Tensor? keyMask, Tensor? positionBias, AttentionOptions options)
    {
        var s = OpChecks.Attention(nameof(Attention), Device, output, query, key, value, keyMask, positionBias, options);
        var saved = Allocate(DType.F32, s.Batch, s.Heads, s.QueryLen, s.KeyLen);
        int tq = s.QueryLen, tk = s.KeyLen, dh = s.HeadDim;
        ForEachRange(s.Batch * s.Heads, 2L * tq * tk * dh, (start, end) =>
        {
            var q = new float[tq * dh];
            var k = new float[tk * dh];
            var v = new float[tk * dh];
            var scores = new float[tk];
            var o = new float[dh];
            for (int pair = start; pair < end; pair++)
            {
                int b = pair / s.Heads, h = pair % s.Heads;
                ReadHead(query, s, b, h, tq, tq, q);
                ReadHead(key, s, b, h, s.Capacity, tk, k);
                ReadHead(value, s, b, h, s.Capacity, tk, v);
                var probabilities = Host(saved).AsSpan<float>().Slice(pair * tq * tk, tq * tk);
                for (int i = 0; i < tq; i++)
                {
                    var p = probabilities.Slice(i * tk, tk);
                    Softmax(Scores(scores, q.AsSpan(i * dh, dh), k, i, b, h, s, options, keyMask, positionBias), p);
                    Array.Clear(o);
                    for (int j = 0; j < tk; j++)
                        if (p[j] != 0f) TensorPrimitives.MultiplyAdd(v.AsSpan(j * dh, dh), p[j], o, o);
                    WriteRow(output, ((long)b * tq + i) * s.Width + h * dh, o);
                }
            }
        });
        return new AttentionState(saved, options, tk, keyMask, positionBias);
    }

    /// <inheritdoc />
    public void AttentionBackward(Tensor dQuery, Tensor dKey, Tensor dValue, Tensor dOutput, Tensor query, Tensor key, Tensor value, AttentionState state)
    {
        var s = OpChecks.AttentionBackward(nameof(AttentionBackward), Device, dQuery, dKey, dValue, dOutput, query, key, value, state);
        int tq = s.QueryLen, tk = s.KeyLen, dh = s.HeadDim;
        float scale = state.Options.Scale;
        ForEachRange(s.Batch * s.Heads, 5L * tq * tk * dh, (start, end) =>
        {
            var q = new float[tq * dh];
            var k = new float[tk * dh];
            var v = new float[tk * dh];
            var dO = new float[tq * dh];
            var dQ = new float[dh];
            var dK = new float[tk * dh];
            var dV = new float[tk * dh];
            var dS = new float[tk];
            var zeros = new float[dh];
            for (int pair = start; pair < end; pair++)
            {
                int b = pair / s.Heads, h = pair % s.Heads;
                ReadHead(query, s, b, h, tq, tq, q);
                ReadHead(key, s, b, h, s.Capacity, tk, k);
                ReadHead(value, s, b, h, s.Capacity, tk, v);
                ReadHead(dOutput, s, b, h, tq, tq, dO);
                Array.Clear(dK);
                Array.Clear(dV);
                var probabilities = Host(state.Saved).AsSpan<float>().Slice(pair * tq * tk, tq * tk);
                for (int i = 0; i < tq; i++)
                {
                    var p = probabilities.Slice(i * tk, tk);
                    var dOi = dO.AsSpan(i * dh, dh);
                    // dS = P ⊙ (dP − rowsum(dP ⊙ P)) with dP = dO·Vᵀ; masked keys have P = 0 and get nothing.
                    double rowDot = 0;
                    for (int j = 0; j < tk; j++)
                    {
                        if (p[j] == 0f) { dS[j] = 0f; continue; }
                        float dP = TensorPrimitives.Dot(dOi, v.AsSpan(j * dh, dh));
                        dS[j] = dP;
                        rowDot += (double)p[j] * dP;
                        TensorPrimitives.MultiplyAdd(dOi, p[j], dV.AsSpan(j * dh, dh), dV.AsSpan(j * dh, dh));
                    }
                    Array.Clear(dQ);
                    var qi = q.AsSpan(i * dh, dh);
                    for (int j = 0; j < tk; j++)
                    {
                        if (p[j] == 0f) continue;
                        float ds = (float)(p[j] * (dS[j] - rowDot)) * scale;
                        TensorPrimitives.MultiplyAdd(k.AsSpan(j * dh, dh), ds, dQ, dQ);
                        TensorPrimitives.MultiplyAdd(qi, ds, dK.AsSpan(j * dh, dh), dK.AsSpan(j * dh, dh));
                    }
                    WriteRow(dQuery, ((long)b * tq + i) * s.Width + h * dh, dQ);
                }
                for (int j = 0; j < s.Capacity; j++)
                {
                    long offset = ((long)b * s.Capacity + j) * s.Width + h * dh;
                    // Cache rows past the live keys took no part: their gradient is zero.
                    WriteRow(dKey, offset, j < tk ? dK.AsSpan(j * dh, dh) : zeros);
                    WriteRow(dValue, offset, j < tk ? dV.AsSpan(j * dh, dh) : zeros);
                }
            }
        });
    }

    /// <summary>The dh columns of head h for the first <paramref name="rows"/> rows of example b of a (B, T, H·dh) tensor.</summary>
    private static void ReadHead(Tensor tensor, OpChecks.AttentionSizes s, int b, int h, int seqLen, int rows, Span<float> head)
    {
        for (int t = 0; t < rows; t++)
            ReadRow(tensor, ((long)b * seqLen + t) * s.Width + h * s.HeadDim, head.Slice(t * s.HeadDim, s.HeadDim));
    }

    /// <summary>Scores of query row i over the live keys: scale·q·k + bias, −∞ where the key mask or causality hides the key.</summary>
    private static Span<float> Scores(Span<float> scores, ReadOnlySpan<float> qi, ReadOnlySpan<float> k, int i, int b, int h,
        OpChecks.AttentionSizes s, AttentionOptions options, Tensor? keyMask, Tensor? positionBias)
    {
        var mask = keyMask is null ? default : Host(keyMask).AsSpan<int>().Slice(b * s.MaskStride, s.KeyLen);
        var bias = positionBias is null ? default : Host(positionBias).AsSpan<float>().Slice((h * s.QueryLen + i) * s.BiasStride, s.KeyLen);
        int lastVisible = options.Causal ? Math.Min(s.KeyLen - 1, i + options.QueryOffset) : s.KeyLen - 1;
        for (int j = 0; j < s.KeyLen; j++)
        {
            if (j > lastVisible || (keyMask is not null && mask[j] == 0))
            {
                scores[j] = float.NegativeInfinity;
                continue;
            }
            scores[j] = options.Scale * TensorPrimitives.Dot(qi, k.Slice(j * s.HeadDim, s.HeadDim));
            if (positionBias is not null) scores[j] += bias[j];
        }
        return scores;
    }

    /// <summary>p = softmax(scores) with −∞ entries at exactly 0; a row with no finite score gives all zeros.</summary>
    private static void Softmax(ReadOnlySpan<float> scores, Span<float> p)
    {
        float max = float.NegativeInfinity;
        foreach (var x in scores) max = Math.Max(max, x);
        if (float.IsNegativeInfinity(max))
        {
            p.Clear();
            return;
        }
        double sum = 0;
        for (int j = 0; j < scores.Length; j++)
        {
            double e = float.IsNegativeInfinity(scores[j]) ? 0 : Math.Exp(scores[j] - max);
            p[j] = (float)e;
            sum += e;
        }
        TensorPrimitives.Multiply(p, (float)(1 / sum), p);
    }
}
