using DePT.Tensors;

namespace DePT.Backends;

/// <summary>
/// What an attention forward keeps for its backward: the probabilities (B, H, Tq, Tk) for the unfused
/// path. Owned by the caller; disposing releases the saved tensor.
/// </summary>
public sealed class AttentionState : IDisposable
{
    internal AttentionState(Tensor saved, AttentionOptions options, int keyLength, Tensor? keyMask, Tensor? positionBias)
    {
        Saved = saved;
        Options = options;
        KeyLength = keyLength;
        KeyMask = keyMask;
        PositionBias = positionBias;
    }

    /// <summary>The options of the forward.</summary>
    public AttentionOptions Options { get; }

    /// <summary>The number of key rows the forward attended over.</summary>
    public int KeyLength { get; }

    /// <summary>Bytes the saved state holds.</summary>
    public long SavedBytes => Saved.ByteSize;

    internal Tensor Saved { get; }

    internal Tensor? KeyMask { get; }

    internal Tensor? PositionBias { get; }

    /// <inheritdoc />
    public void Dispose() => Saved.Dispose();
}
