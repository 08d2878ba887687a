namespace DePT.Models.Runtime;

/// <summary>Host-side helpers for the (B, T) I32 key masks the models take.</summary>
public static class AttentionMasks
{
    /// <summary>
    /// The mask of a DePT input: <paramref name="promptLength"/> leading <paramref name="promptValue"/>s per example
    /// (1 to attend to the prompt rows; 0 to leave them out of a pooling mean), then the example's mask (B, L),
    /// giving (B, m+L) row-major.
    /// </summary>
    public static int[] WithPromptRows(ReadOnlySpan<int> mask, int batch, int length, int promptLength, int promptValue = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfNegative(promptLength);
        if (mask.Length != (long)batch * length)
            throw new ArgumentException($"The mask holds {mask.Length} values; (B={batch}, L={length}) needs {(long)batch * length}.", nameof(mask));
        int total = promptLength + length;
        var result = new int[batch * total];
        for (int b = 0; b < batch; b++)
        {
            result.AsSpan(b * total, promptLength).Fill(promptValue);
            mask.Slice(b * length, length).CopyTo(result.AsSpan(b * total + promptLength, length));
        }
        return result;
    }
}
