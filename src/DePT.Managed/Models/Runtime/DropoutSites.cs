using DePT.Backends;
using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>
/// The dropout of one forward pass at one rate: every site names its stream with <see cref="Stream"/>, so the
/// backward at the same site regenerates the same mask. Inactive (a no-op) in evaluation or at rate 0.
/// </summary>
internal readonly struct DropoutSites(IBackend backend, double rate, DropoutSettings settings)
{
    public bool Active => settings.Enabled && rate > 0;

    /// <summary>A stream id unique to (stack, layer, site); stack-level sites use layer = number of layers.</summary>
    public static ulong Stream(int stack, int layer, int site) => ((ulong)(uint)stack << 48) | ((ulong)(uint)layer << 16) | (uint)site;

    /// <summary>Applies dropout to <paramref name="x"/> in place.</summary>
    public void Forward(Tensor x, ulong stream)
    {
        if (Active) backend.Dropout(x, x, (float)rate, settings.Seed, stream);
    }

    /// <summary>
    /// The gradient through the site: <paramref name="dOutput"/> itself when inactive (then <paramref name="owned"/>
    /// is null), else a new tensor the caller disposes through <paramref name="owned"/>.
    /// </summary>
    public Tensor Backward(Tensor dOutput, ulong stream, out Tensor? owned)
    {
        owned = null;
        if (!Active) return dOutput;
        owned = backend.Allocate(dOutput.DType, dOutput.Shape.ToArray());
        backend.DropoutBackward(owned, dOutput, (float)rate, settings.Seed, stream);
        return owned;
    }
}
