using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>
/// What one pre-norm residual sub-layer h' = h + dropout(f(RMSNorm(h))) (T5, LLaMA) keeps for its backward: the input
/// h (B, T, d) and rstd (N) for the norm's backward, plus f's own state (attention: Q, K, V and the probabilities;
/// feed-forward: the pre-activation). Input and rstd are null where no gradient has to pass the norm (T5's first
/// decoder cross-attention: its query side leads only to decoder embeddings, which are not trained).
/// </summary>
internal sealed class PreNormSublayerSaved(Tensor? input, Tensor? rstd, AttentionSaved? attention, Tensor? feedForward) : IDisposable
{
    public Tensor? Input { get; } = input;

    public Tensor? Rstd { get; } = rstd;

    public AttentionSaved? Attention { get; } = attention;

    public Tensor? FeedForward { get; } = feedForward;

    public long Bytes => (Input?.ByteSize ?? 0) + (Rstd?.ByteSize ?? 0) + (Attention?.Bytes ?? 0) + (FeedForward?.ByteSize ?? 0);

    public void Dispose()
    {
        FeedForward?.Dispose();
        Attention?.Dispose();
        Rstd?.Dispose();
        Input?.Dispose();
    }
}
