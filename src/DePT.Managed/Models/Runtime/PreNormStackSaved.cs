using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>
/// What a pre-norm stack's forward (T5 encoder or decoder, LLaMA decoder) keeps for its backward: each sub-layer's
/// <see cref="PreNormSublayerSaved"/> in forward order (null where the backward skips the sub-layer) and the final norm's
/// input and rstd.
/// </summary>
internal sealed class PreNormStackSaved : IDisposable
{
    public List<PreNormSublayerSaved?> Sublayers { get; } = [];

    public Tensor? FinalInput { get; set; }

    public Tensor? FinalRstd { get; set; }

    public long Bytes => Sublayers.Sum(s => s?.Bytes ?? 0) + Live(FinalInput) + Live(FinalRstd);

    public void Dispose()
    {
        for (int i = Sublayers.Count - 1; i >= 0; i--) Sublayers[i]?.Dispose();
        Sublayers.Clear();
        FinalRstd?.Dispose();
        FinalInput?.Dispose();
    }

    private static long Live(Tensor? t) => t is null || t.IsDisposed ? 0 : t.ByteSize;
}
