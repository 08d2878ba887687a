using DePT.Backends;
using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>
/// The feed-forward block: output = Wo·dropout(act(Wi·x)) or, gated, Wo·dropout(act(gate)·up) with [gate | up] = Wi·x
/// (+ biases). Saves the pre-activation Wi·x (B, T, F or 2F): the activation's backward needs it, and the input x
/// is not needed because the projections are frozen.
/// </summary>
internal static class FeedForwardBlock
{
    /// <summary>output (B, T, d) from input (B, T, d); <paramref name="saved"/> is the pre-activation when saving, else null.</summary>
    public static Tensor Forward(IBackend backend, FeedForwardWeights w, Tensor input, DropoutSites dropout, ulong stream, bool save, out Tensor? saved)
    {
        int batch = input.Dim(0), length = input.Dim(1);
        var dtype = input.DType;
        var hidden = backend.Allocate(dtype, batch, length, w.Input.OutFeatures);
        Tensor? activated = null;
        try
        {
            backend.Linear(hidden, input, w.Input.Weight, w.Input.Bias);
            if (w.Gated || save)
            {
                activated = backend.Allocate(dtype, batch, length, w.InnerDim);
                if (w.Gated) backend.GatedActivation(activated, hidden, w.Activation);
                else backend.Activation(activated, hidden, w.Activation);
            }
            else
            {
                backend.Activation(hidden, hidden, w.Activation);
            }
            var inner = activated ?? hidden;
            dropout.Forward(inner, stream);
            var output = backend.Allocate(dtype, batch, length, w.Output.OutFeatures);
            backend.Linear(output, inner, w.Output.Weight, w.Output.Bias);
            activated?.Dispose();
            if (save)
            {
                saved = hidden;
            }
            else
            {
                hidden.Dispose();
                saved = null;
            }
            return output;
        }
        catch
        {
            activated?.Dispose();
            hidden.Dispose();
            throw;
        }
    }

    /// <summary>dInput (B, T, d) = (or += when <paramref name="accumulate"/>) the gradient of the block for dOutput (B, T, d).</summary>
    public static void Backward(IBackend backend, FeedForwardWeights w, Tensor saved, Tensor dOutput, Tensor dInput, bool accumulate, DropoutSites dropout, ulong stream)
    {
        int batch = dOutput.Dim(0), length = dOutput.Dim(1);
        var dtype = dOutput.DType;
        using var dActivated = backend.Allocate(dtype, batch, length, w.InnerDim);
        backend.LinearBackwardInput(dActivated, dOutput, w.Output.Weight);
        var dInner = dropout.Backward(dActivated, stream, out var ownedInner);
        using (ownedInner)
        using (var dHidden = backend.Allocate(dtype, saved.Shape.ToArray()))
        {
            if (w.Gated) backend.GatedActivationBackward(dHidden, dInner, saved, w.Activation);
            else backend.ActivationBackward(dHidden, dInner, saved, w.Activation);
            backend.LinearBackwardInput(dInput, dHidden, w.Input.Weight, accumulate);
        }
    }
}
