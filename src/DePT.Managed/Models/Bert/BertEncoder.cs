using DePT.Backends;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.Bert;

/// <summary>
/// BERT's embeddings, post-norm layers and pooler, forward and backward, written against <see cref="IBackend"/> only.
/// Embeddings: LayerNorm(inputs_embeds + position[t] + token_type) with positions from 0 at the first row (prompt rows
/// included). Layer: h1 = LN(h + dropout(attn(h))) with scores scaled by 1/√dh and the key mask, then
/// h2 = LN(h1 + dropout(FFN(h1))). Pooler: tanh(W·h2[:, 0] + b).
/// </summary>
/// <remarks>
/// Saved for the backward (see <see cref="BertSaved"/>), with N = B·T rows and e the activation dtype's bytes:
/// embeddings N·d·e + 8N; per layer 3N·d·e (Q, K, V) + 4·B·H·T² (probabilities) + 2·(N·d·e + 8N) (the two residual
/// sums with mean and rstd) + N·I·e (pre-activation); pooler B·d·e (its output, for tanh's backward).
/// Attention-probability dropout is not applied: the attention op has no dropout (hidden dropout is).
/// </remarks>
internal sealed class BertEncoder(IBackend backend, BertWeights weights)
{
    private const int AttentionSite = 0, FeedForwardInnerSite = 2, FeedForwardSite = 3, EmbeddingSite = 0;

    private BertConfig Config => weights.Config;

    private int Layers => weights.Layers.Length;

    private float Epsilon => (float)Config.LayerNormEps;

    public (Tensor Hidden, Tensor? Pooled) Forward(Tensor inputsEmbeds, Tensor mask, Tensor? tokenTypeIds, bool pool, DropoutSites dropout, BertSaved? saved)
    {
        int batch = inputsEmbeds.Dim(0), length = inputsEmbeds.Dim(1), d = Config.HiddenSize, rows = batch * length;
        var dtype = weights.DType;
        bool save = saved is not null;
        var options = new AttentionOptions(Config.NumAttentionHeads, 1f / MathF.Sqrt(Config.HeadDim));
        Tensor? h = null;
        var scratch = new OwnedTensors();
        try
        {
            var x = scratch.Add(backend.Allocate(dtype, batch, length, d));
            var mean = scratch.Add(backend.Allocate(DType.F32, rows));
            var rstd = scratch.Add(backend.Allocate(DType.F32, rows));
            backend.Copy(x, inputsEmbeds);
            backend.AddPositionEmbeddings(x, weights.PositionEmbeddings, weights.TokenTypeEmbeddings, tokenTypeIds);
            h = backend.Allocate(dtype, batch, length, d);
            backend.LayerNorm(h, mean, rstd, x, weights.EmbeddingNorm.Weight, weights.EmbeddingNorm.Bias!, Epsilon);
            if (saved is not null)
            {
                (saved.EmbeddingInput, saved.EmbeddingMean, saved.EmbeddingRstd) = (x, mean, rstd);
                scratch = new OwnedTensors();
            }
            else
            {
                scratch.Dispose();
            }
            dropout.Forward(h, Stream(Layers, EmbeddingSite));

            for (int i = 0; i < Layers; i++)
                h = Layer(i, h, mask, options, dropout, saved);

            Tensor? pooled = pool ? Pool(h, mask, saved) : null;
            return (h, pooled);
        }
        catch
        {
            scratch.Dispose();
            h?.Dispose();
            throw;
        }
    }

    /// <summary>One layer from its input <paramref name="h"/> (disposed once used) to its output.</summary>
    private Tensor Layer(int i, Tensor h, Tensor mask, AttentionOptions options, DropoutSites dropout, BertSaved? saved)
    {
        var w = weights.Layers[i];
        int batch = h.Dim(0), length = h.Dim(1), d = Config.HiddenSize, rows = batch * length;
        var dtype = h.DType;
        var parts = new List<IDisposable>();
        T Track<T>(T item) where T : IDisposable
        {
            parts.Add(item);
            return item;
        }
        try
        {
            var attentionResidual = Track(AttentionBlock.Forward(backend, w.Attention, h, h, mask, null, options, saved is not null, out var attention));
            if (attention is not null) Track(attention);
            dropout.Forward(attentionResidual, Stream(i, AttentionSite));
            backend.Add(attentionResidual, attentionResidual, h);
            h.Dispose();
            var attentionMean = Track(backend.Allocate(DType.F32, rows));
            var attentionRstd = Track(backend.Allocate(DType.F32, rows));
            var h1 = Track(backend.Allocate(dtype, batch, length, d));
            backend.LayerNorm(h1, attentionMean, attentionRstd, attentionResidual, w.AttentionNorm.Weight, w.AttentionNorm.Bias!, Epsilon);

            var outputResidual = Track(FeedForwardBlock.Forward(backend, w.FeedForward, h1, dropout, Stream(i, FeedForwardInnerSite), saved is not null, out var preActivation));
            if (preActivation is not null) Track(preActivation);
            dropout.Forward(outputResidual, Stream(i, FeedForwardSite));
            backend.Add(outputResidual, outputResidual, h1);
            h1.Dispose();
            var outputMean = Track(backend.Allocate(DType.F32, rows));
            var outputRstd = Track(backend.Allocate(DType.F32, rows));
            var output = Track(backend.Allocate(dtype, batch, length, d));
            backend.LayerNorm(output, outputMean, outputRstd, outputResidual, w.OutputNorm.Weight, w.OutputNorm.Bias!, Epsilon);
            if (saved is null)
            {
                parts.Remove(output);
                foreach (var part in parts) part.Dispose();
                return output;
            }
            saved.Layers.Add(new BertSaved.Layer(attention!, attentionResidual, attentionMean, attentionRstd,
                preActivation!, outputResidual, outputMean, outputRstd));
            return output;
        }
        catch
        {
            for (int k = parts.Count - 1; k >= 0; k--) parts[k].Dispose();
            throw;
        }
    }

    /// <summary>d inputs_embeds (B, T, d) from d last_hidden_state (B, T, d) and, when given, d pooler_output (B, d).</summary>
    public Tensor Backward(Tensor dHidden, Tensor? dPooled, Tensor mask, BertSaved saved, DropoutSites dropout)
    {
        var dtype = dHidden.DType;
        int[] shape = dHidden.Shape.ToArray();
        var a = backend.Allocate(dtype, shape);
        var b = backend.Allocate(dtype, shape);
        try
        {
            backend.Copy(a, dHidden);
            if (dPooled is not null) PoolBackward(a, dPooled, saved, mask);
            for (int i = Layers - 1; i >= 0; i--)
            {
                var w = weights.Layers[i];
                var s = saved.Layers[i];
                backend.LayerNormBackward(b, a, s.OutputResidual, w.OutputNorm.Weight, s.OutputMean, s.OutputRstd);
                var dFeedForward = dropout.Backward(b, Stream(i, FeedForwardSite), out var ownedFeedForward);
                using (ownedFeedForward)
                    FeedForwardBlock.Backward(backend, w.FeedForward, s.FeedForward, dFeedForward, b, accumulate: true, dropout, Stream(i, FeedForwardInnerSite));
                backend.LayerNormBackward(a, b, s.AttentionResidual, w.AttentionNorm.Weight, s.AttentionMean, s.AttentionRstd);
                var dAttention = dropout.Backward(a, Stream(i, AttentionSite), out var ownedAttention);
                using (ownedAttention)
                    AttentionBlock.Backward(backend, w.Attention, s.Attention, dAttention, a, accumulate: true);
                s.Dispose();
            }
            var dEmbedding = dropout.Backward(a, Stream(Layers, EmbeddingSite), out var ownedEmbedding);
            using (ownedEmbedding)
                backend.LayerNormBackward(b, dEmbedding, saved.EmbeddingInput!, weights.EmbeddingNorm.Weight, saved.EmbeddingMean!, saved.EmbeddingRstd!);
            a.Dispose();
            return b;
        }
        catch
        {
            b.Dispose();
            a.Dispose();
            throw;
        }
    }

    /// <summary>pooler_output (B, d) = tanh(W·hidden[:, 0] + b); the pre-activation is saved for the backward.</summary>
    private Tensor Pool(Tensor hidden, Tensor mask, BertSaved? saved)
    {
        var pooler = weights.Pooler ?? throw new InvalidOperationException("These BERT weights have no pooler (pooler.dense.weight/bias).");
        int batch = hidden.Dim(0), d = Config.HiddenSize;
        using var first = backend.Allocate(hidden.DType, batch, d);
        backend.Pool(first, hidden, mask, PoolingKind.Cls);
        var preActivation = backend.Allocate(hidden.DType, batch, d);
        var pooled = backend.Allocate(hidden.DType, batch, d);
        try
        {
            backend.Linear(preActivation, first, pooler.Weight, pooler.Bias);
            backend.Activation(pooled, preActivation, ActivationFunction.Tanh);
        }
        catch
        {
            pooled.Dispose();
            preActivation.Dispose();
            throw;
        }
        if (saved is not null) saved.PoolerPreActivation = preActivation;
        else preActivation.Dispose();
        return pooled;
    }

    /// <summary>dHidden += the gradient of the pooler for dPooled (B, d).</summary>
    private void PoolBackward(Tensor dHidden, Tensor dPooled, BertSaved saved, Tensor mask)
    {
        var preActivation = saved.PoolerPreActivation ?? throw new InvalidOperationException("The forward kept no pooler state: it ran without the pooler.");
        int batch = dHidden.Dim(0), d = Config.HiddenSize;
        using var dPreActivation = backend.Allocate(dHidden.DType, batch, d);
        using var dFirst = backend.Allocate(dHidden.DType, batch, d);
        using var dFromPooler = backend.Allocate(dHidden.DType, dHidden.Shape.ToArray());
        backend.ActivationBackward(dPreActivation, dPooled, preActivation, ActivationFunction.Tanh);
        backend.LinearBackwardInput(dFirst, dPreActivation, weights.Pooler!.Weight);
        backend.PoolBackward(dFromPooler, dFirst, mask, PoolingKind.Cls);
        backend.Add(dHidden, dHidden, dFromPooler);
    }

    private ulong Stream(int layer, int site) => DropoutSites.Stream(2, layer, site);
}
