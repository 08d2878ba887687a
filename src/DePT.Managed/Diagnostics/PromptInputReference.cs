namespace DePT.Diagnostics;

/// <summary>
/// The DePT input forward written out element by element in double precision, straight from the
/// formula: the oracle the CPU backend is checked against (which in turn is the oracle for CUDA).
/// </summary>
public static class PromptInputReference
{
    /// <summary>out[b, t, :] as doubles, (B, m+L, d) flattened; embedding scale 1.</summary>
    public static double[] Forward(PromptInputData data)
    {
        var p = data.Problem;
        int d = p.Dim, m = p.PromptLen, L = p.SeqLen, r = p.Rank;
        var result = new double[(long)p.Batch * p.TotalLen * d];
        for (int b = 0; b < p.Batch; b++)
        {
            int q = data.PromptIndex?[b] ?? 0;
            for (int t = 0; t < p.TotalLen; t++)
            {
                long o = ((long)b * p.TotalLen + t) * d;
                for (int c = 0; c < d; c++)
                {
                    if (t < m)
                    {
                        result[o + c] = data.Prompt[((long)q * m + t) * d + c];
                        continue;
                    }
                    int pos = t - m;
                    double value = data.Embeddings[(long)data.TokenIds[b * L + pos] * d + c];
                    for (int k = 0; k < r; k++)
                        value += (double)p.LowRankScale * data.LowRankA![((long)q * p.MaxLen + pos) * r + k] * data.LowRankB![((long)q * r + k) * d + c];
                    result[o + c] = value;
                }
            }
        }
        return result;
    }
}
