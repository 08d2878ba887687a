using DePT.Backends;
using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>
/// What an attention block keeps for its backward: the projected (and, with rotary embeddings, rotated) query
/// (B, Tq, inner), key and value (B, Tk, inner, or Hkv·dh under grouped-query attention), and the op's state (the probabilities, F32 (B, H, Tq, Tk) on the unfused path). Its inputs are
/// not kept: the projections are frozen, so their backward needs only the weights.
/// </summary>
internal sealed class AttentionSaved(Tensor query, Tensor key, Tensor value, AttentionState state) : IDisposable
{
    public Tensor Query { get; } = query;

    public Tensor Key { get; } = key;

    public Tensor Value { get; } = value;

    public AttentionState State { get; } = state;

    public long Bytes => Query.ByteSize + Key.ByteSize + Value.ByteSize + State.SavedBytes;

    public void Dispose()
    {
        State.Dispose();
        Value.Dispose();
        Key.Dispose();
        Query.Dispose();
    }
}
