namespace DePT.Diagnostics;

/// <summary>Human-readable byte counts (binary units).</summary>
public static class ByteCount
{
    /// <summary>Formats as GiB, MiB or bytes, e.g. "9.80 GiB".</summary>
    public static string Format(long bytes) => bytes >= 1L << 30
        ? $"{bytes / (double)(1L << 30):F2} GiB"
        : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):F1} MiB" : $"{bytes} B";
}
