using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.Bert;

/// <summary>
/// What a BERT forward keeps for its backward. Embeddings: the LayerNorm's input x = inputs_embeds + positions +
/// token types (B, T, d) and its mean and rstd (N). Per layer: the attention state (Q, K, V, probabilities), each
/// post-norm's input (the residual sums) with mean and rstd, and the feed-forward pre-activation (B, T, I). The
/// layer inputs and norm outputs are not kept: the frozen projections' backward needs only the weights.
/// </summary>
internal sealed class BertSaved : IDisposable
{
    public Tensor? EmbeddingInput { get; set; }

    public Tensor? EmbeddingMean { get; set; }

    public Tensor? EmbeddingRstd { get; set; }

    public List<Layer> Layers { get; } = [];

    /// <summary>The pooler's dense output before its tanh (B, d), when the pooler ran.</summary>
    public Tensor? PoolerPreActivation { get; set; }

    public long Bytes => Size(EmbeddingInput) + Size(EmbeddingMean) + Size(EmbeddingRstd) + Layers.Sum(l => l.Bytes) + Size(PoolerPreActivation);

    public void Dispose()
    {
        for (int i = Layers.Count - 1; i >= 0; i--) Layers[i].Dispose();
        Layers.Clear();
        PoolerPreActivation?.Dispose();
        EmbeddingRstd?.Dispose();
        EmbeddingMean?.Dispose();
        EmbeddingInput?.Dispose();
    }

    private static long Size(Tensor? t) => t is null || t.IsDisposed ? 0 : t.ByteSize;

    /// <summary>One layer's saved tensors.</summary>
    internal sealed class Layer(AttentionSaved attention, Tensor attentionResidual, Tensor attentionMean, Tensor attentionRstd,
        Tensor feedForward, Tensor outputResidual, Tensor outputMean, Tensor outputRstd) : IDisposable
    {
        public AttentionSaved Attention { get; } = attention;

        public Tensor AttentionResidual { get; } = attentionResidual;

        public Tensor AttentionMean { get; } = attentionMean;

        public Tensor AttentionRstd { get; } = attentionRstd;

        public Tensor FeedForward { get; } = feedForward;

        public Tensor OutputResidual { get; } = outputResidual;

        public Tensor OutputMean { get; } = outputMean;

        public Tensor OutputRstd { get; } = outputRstd;

        public long Bytes => Attention.Bytes + AttentionResidual.ByteSize + AttentionMean.ByteSize + AttentionRstd.ByteSize
            + FeedForward.ByteSize + OutputResidual.ByteSize + OutputMean.ByteSize + OutputRstd.ByteSize;

        public void Dispose()
        {
            OutputRstd.Dispose();
            OutputMean.Dispose();
            OutputResidual.Dispose();
            FeedForward.Dispose();
            AttentionRstd.Dispose();
            AttentionMean.Dispose();
            AttentionResidual.Dispose();
            Attention.Dispose();
        }
    }
}
