using DePT.Tensors;

namespace DePT.Backends;

/// <summary>
/// What an attention forward keeps for its backward: the probabilities (B, H, Tq, Tk) F32 for the unfused path, or,
/// for the fused path, the row log-sum-exps (B, H, Tq) F32 and a copy of the output (B, Tq, H·dh) from which the
/// backward recomputes the probabilities. Owned by the caller; disposing releases the saved tensors.
/// </summary>
public sealed class AttentionState : IDisposable
{
    private AttentionState(Tensor? probabilities, Tensor? logSumExp, Tensor? output, AttentionOptions options, int keyLength, Tensor? keyMask, PositionBias? positionBias)
    {
        Probabilities = probabilities;
        LogSumExp = logSumExp;
        Output = output;
        Options = options;
        KeyLength = keyLength;
        KeyMask = keyMask;
        PositionBias = positionBias;
    }

    /// <summary>The options of the forward.</summary>
    public AttentionOptions Options { get; }

    /// <summary>The number of key rows the forward attended over.</summary>
    public int KeyLength { get; }

    /// <summary>True when the fused kernels made this state (log-sum-exps saved, no probabilities).</summary>
    public bool IsFused => LogSumExp is not null;

    /// <summary>Bytes the saved state holds.</summary>
    public long SavedBytes => (Probabilities?.ByteSize ?? 0) + (LogSumExp?.ByteSize ?? 0) + (Output?.ByteSize ?? 0);

    /// <summary>True once <see cref="Dispose"/> ran.</summary>
    public bool IsDisposed => (Probabilities ?? LogSumExp)!.IsDisposed;

    internal Tensor? Probabilities { get; }

    internal Tensor? LogSumExp { get; }

    internal Tensor? Output { get; }

    internal Tensor? KeyMask { get; }

    internal PositionBias? PositionBias { get; }

    internal static AttentionState Unfused(Tensor probabilities, AttentionOptions options, int keyLength, Tensor? keyMask, PositionBias? positionBias) =>
        new(probabilities, null, null, options, keyLength, keyMask, positionBias);

    internal static AttentionState Fused(Tensor logSumExp, Tensor output, AttentionOptions options, int keyLength, Tensor? keyMask, PositionBias? positionBias) =>
        new(null, logSumExp, output, options, keyLength, keyMask, positionBias);

    /// <inheritdoc />
    public void Dispose()
    {
        Probabilities?.Dispose();
        LogSumExp?.Dispose();
        Output?.Dispose();
    }
}
