namespace DePT.Tokenizers;

/// <summary>Lays out encoded rows as a right- or left-padded <see cref="TokenBatch"/>.</summary>
internal static class TokenBatchBuilder
{
    /// <param name="rows">The ids of each text; none longer than <paramref name="length"/>.</param>
    /// <param name="length">The padded length L.</param>
    /// <param name="paddingId">Id written past the end of each row.</param>
    public static TokenBatch RightPadded(int[][] rows, int length, int paddingId)
    {
        var ids = new int[rows.Length * length];
        var mask = new int[rows.Length * length];
        var lengths = new int[rows.Length];
        ids.AsSpan().Fill(paddingId);
        for (int b = 0; b < rows.Length; b++)
        {
            rows[b].CopyTo(ids.AsSpan(b * length, length));
            mask.AsSpan(b * length, rows[b].Length).Fill(1);
            lengths[b] = rows[b].Length;
        }
        return new TokenBatch(rows.Length, length, ids, mask, lengths);
    }

    /// <param name="rows">The ids of each text; none longer than <paramref name="length"/>.</param>
    /// <param name="length">The padded length L.</param>
    /// <param name="paddingId">Id written before the start of each row.</param>
    public static TokenBatch LeftPadded(int[][] rows, int length, int paddingId)
    {
        var ids = new int[rows.Length * length];
        var mask = new int[rows.Length * length];
        var lengths = new int[rows.Length];
        ids.AsSpan().Fill(paddingId);
        for (int b = 0; b < rows.Length; b++)
        {
            int start = (b + 1) * length - rows[b].Length;
            rows[b].CopyTo(ids.AsSpan(start));
            mask.AsSpan(start, rows[b].Length).Fill(1);
            lengths[b] = rows[b].Length;
        }
        return new TokenBatch(rows.Length, length, ids, mask, lengths);
    }
}
