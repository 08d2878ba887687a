namespace DePT.Models.Llama;

/// <summary>
/// Picks the next token of one row from its logits on the host: softmax(logits / temperature), cut to the nucleus (the
/// most probable tokens until their mass reaches top-p; at least one), renormalised, and drawn with the caller's
/// generator.
/// </summary>
internal static class TokenSampler
{
    public static int Sample(ReadOnlySpan<float> logits, float temperature, float topP, Random random)
    {
        double max = double.NegativeInfinity;
        foreach (float value in logits) max = Math.Max(max, value);
        var probabilities = new double[logits.Length];
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            probabilities[i] = Math.Exp((logits[i] - max) / temperature);
            total += probabilities[i];
        }
        var order = new int[logits.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        // most probable first; equal probabilities by token id, so the cut is deterministic
        Array.Sort(order, (a, b) => probabilities[a] != probabilities[b] ? probabilities[b].CompareTo(probabilities[a]) : a.CompareTo(b));
        int kept = 0;
        double mass = 0;
        while (kept < order.Length && (kept == 0 || mass < topP * total))
            mass += probabilities[order[kept++]];
        double u = random.NextDouble() * mass;
        for (int k = 0; k < kept; k++)
        {
            u -= probabilities[order[k]];
            if (u < 0) return order[k];
        }
        return order[kept - 1];
    }
}
