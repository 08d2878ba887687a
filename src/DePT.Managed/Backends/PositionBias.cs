using DePT.Tensors;

namespace DePT.Backends;

/// <summary>
/// The additive position term of <see cref="IBackend.Attention"/>: either a dense bias (H, Tq, Tk or Tcap) F32, or
/// T5's relative position bias described by its frozen table (buckets, H) and bucket parameters, which the fused
/// CUDA kernels evaluate inside the kernel (no (H, Tq, Tk) tensor): bias[h, i, j] = table[bucket(j − (i + QueryOffset)), h]
/// with the query offset of <see cref="AttentionOptions.QueryOffset"/>, as <see cref="IBackend.RelativePositionBias"/>.
/// A tensor converts implicitly to the dense form.
/// </summary>
public sealed class PositionBias
{
    private PositionBias(Tensor? dense, Tensor? table, bool bidirectional, int maxDistance)
    {
        Dense = dense;
        Table = table;
        Bidirectional = bidirectional;
        MaxDistance = maxDistance;
    }

    /// <summary>The dense bias (H, Tq, Tk or Tcap) F32, or null for the relative form.</summary>
    public Tensor? Dense { get; }

    /// <summary>The relative position table (buckets, H), F32 or BF16, or null for the dense form.</summary>
    public Tensor? Table { get; }

    /// <summary>Bidirectional buckets (T5 encoder) or causal ones (decoder); relative form only.</summary>
    public bool Bidirectional { get; }

    /// <summary>The distance at which the log-spaced buckets end; relative form only.</summary>
    public int MaxDistance { get; }

    /// <summary>A dense bias (H, Tq, Tk or Tcap) F32, added to every example's scores.</summary>
    public static PositionBias FromTensor(Tensor bias) => new(bias ?? throw new ArgumentNullException(nameof(bias)), null, false, 0);

    /// <summary>T5's relative position bias from its table (buckets, H) and bucket parameters.</summary>
    public static PositionBias Relative(Tensor table, bool bidirectional, int maxDistance) =>
        new(null, table ?? throw new ArgumentNullException(nameof(table)), bidirectional, maxDistance);

    /// <summary>The dense form of a tensor; null stays null (no bias).</summary>
    public static implicit operator PositionBias?(Tensor? bias) => bias is null ? null : FromTensor(bias);
}
