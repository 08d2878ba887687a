using DePT.Backends;
using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>
/// Multi-head attention with frozen projections: output = Wo·Attention(Wq·x, Wk·kv, Wv·kv) (+ biases), with the
/// projected queries and keys turned by rotary embeddings when <see cref="RotaryPositions"/> are given (LLaMA), and
/// keys and values as wide as Wk and Wv make them (fewer heads under grouped-query attention). Self-attention passes
/// the same tensor as x and kv. Saves <see cref="AttentionSaved"/> (the rotated Q and K) when asked.
/// </summary>
internal static class AttentionBlock
{
    /// <summary>output (B, Tq, d) from input (B, Tq, d) and keyValueInput (B, Tk, d).</summary>
    public static Tensor Forward(IBackend backend, AttentionWeights w, Tensor input, Tensor keyValueInput, Tensor? keyMask,
        PositionBias? positionBias, AttentionOptions options, bool save, out AttentionSaved? saved, RotaryPositions? rotary = null)
    {
        int batch = input.Dim(0), queryLength = input.Dim(1), keyLength = keyValueInput.Dim(1);
        var dtype = input.DType;
        var owned = new OwnedTensors();
        try
        {
            var query = owned.Add(backend.Allocate(dtype, batch, queryLength, w.InnerDim));
            var key = owned.Add(backend.Allocate(dtype, batch, keyLength, w.Key.OutFeatures));
            var value = owned.Add(backend.Allocate(dtype, batch, keyLength, w.Value.OutFeatures));
            backend.Linear(query, input, w.Query.Weight, w.Query.Bias);
            backend.Linear(key, keyValueInput, w.Key.Weight, w.Key.Bias);
            backend.Linear(value, keyValueInput, w.Value.Weight, w.Value.Bias);
            if (rotary is { } r)
            {
                backend.RotaryEmbedding(query, query, r.Positions, r.InverseFrequencies, options.Heads);
                backend.RotaryEmbedding(key, key, r.Positions, r.InverseFrequencies, options.KeyValueHeadCount);
            }
            var output = Project(backend, w, query, key, value, keyMask, positionBias, options, out var state);
            if (save)
            {
                saved = new AttentionSaved(query, key, value, state);
                return output;
            }
            state.Dispose();
            owned.Dispose();
            saved = null;
            return output;
        }
        catch
        {
            owned.Dispose();
            throw;
        }
    }

    /// <summary>Attention over already projected query, key and value, then the output projection: (B, Tq, d).</summary>
    public static Tensor Project(IBackend backend, AttentionWeights w, Tensor query, Tensor key, Tensor value, Tensor? keyMask,
        PositionBias? positionBias, AttentionOptions options, out AttentionState state)
    {
        using var context = backend.Allocate(query.DType, query.Dim(0), query.Dim(1), w.InnerDim);
        state = backend.Attention(context, query, key, value, keyMask, positionBias, options);
        try
        {
            var output = backend.Allocate(query.DType, query.Dim(0), query.Dim(1), w.Output.OutFeatures);
            backend.Linear(output, context, w.Output.Weight, w.Output.Bias);
            return output;
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Gradients of the block's inputs from dOutput (B, Tq, d). The query path goes to <paramref name="dInput"/>
    /// (assigned, or added when <paramref name="accumulate"/>; skipped when null). The key and value paths go to
    /// <paramref name="dKeyValueInput"/> (cross-attention: assigned or added per <paramref name="accumulateKeyValue"/>),
    /// or, when that is null (self-attention), are added to <paramref name="dInput"/>. <paramref name="rotary"/> must be
    /// what the forward was given.
    /// </summary>
    public static void Backward(IBackend backend, AttentionWeights w, AttentionSaved saved, Tensor dOutput, Tensor? dInput, bool accumulate,
        Tensor? dKeyValueInput = null, bool accumulateKeyValue = false, RotaryPositions? rotary = null)
    {
        if (dInput is null && dKeyValueInput is null) throw new ArgumentException("The attention backward needs a gradient target.");
        var dtype = dOutput.DType;
        using var dContext = backend.Allocate(dtype, saved.Query.Shape.ToArray());
        using var dQuery = backend.Allocate(dtype, saved.Query.Shape.ToArray());
        using var dKey = backend.Allocate(dtype, saved.Key.Shape.ToArray());
        using var dValue = backend.Allocate(dtype, saved.Value.Shape.ToArray());
        backend.LinearBackwardInput(dContext, dOutput, w.Output.Weight);
        backend.AttentionBackward(dQuery, dKey, dValue, dContext, saved.Query, saved.Key, saved.Value, saved.State);
        if (rotary is { } r)
        {
            var options = saved.State.Options;
            backend.RotaryEmbeddingBackward(dQuery, dQuery, r.Positions, r.InverseFrequencies, options.Heads);
            backend.RotaryEmbeddingBackward(dKey, dKey, r.Positions, r.InverseFrequencies, options.KeyValueHeadCount);
        }
        if (dInput is not null) backend.LinearBackwardInput(dInput, dQuery, w.Query.Weight, accumulate);
        var keyValueTarget = dKeyValueInput ?? dInput!;
        bool keyAccumulates = dKeyValueInput is null || accumulateKeyValue;
        backend.LinearBackwardInput(keyValueTarget, dKey, w.Key.Weight, keyAccumulates);
        backend.LinearBackwardInput(keyValueTarget, dValue, w.Value.Weight, accumulate: true);
    }
}
