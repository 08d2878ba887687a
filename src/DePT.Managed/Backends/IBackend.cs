using DePT.Devices;
using DePT.Tensors;

namespace DePT.Backends;

/// <summary>
/// The op interface every backend implements: the CPU backend is the fp32 reference, the CUDA backend the
/// fast path. Ops take outputs first, then inputs, then scalars; gradient arguments carry a d prefix.
/// Ops are queued in order; <see cref="Synchronize"/> waits for them and raises errors kernels recorded.
/// </summary>
public partial interface IBackend : IDisposable
{
    /// <summary>The device the backend runs on.</summary>
    Device Device { get; }

    /// <summary>Allocates an uninitialised tensor on this backend's device.</summary>
    Tensor Allocate(DType dtype, params int[] shape);

    /// <summary>Waits for queued work and raises any error it recorded.</summary>
    void Synchronize();

    /// <summary>
    /// The DePT input: <c>output[b, t] = P[p_b][t]</c> for t &lt; m, else
    /// <c>Emb[ids[b, t−m]]·embeddingScale + Δ[p_b][t−m−o_b]</c> with Δ = scale·A·B (or the precomputed delta), and no
    /// Δ term where t−m &lt; o_b. Vanilla prompt tuning is rank 0. Shapes: output (B, m+L, d) F32/BF16; tokenIds (B, L)
    /// I32; embeddings (V, d) F32/BF16; promptIndex (B) I32 or null (every example uses prompt 0); rowOffset (B) I32
    /// in [0, L] or null (all 0): a left-padded example passes its pad count, so its first real token takes row 0 of
    /// A, as it does right-padded.
    /// </summary>
    void PromptInputForward(Tensor output, Tensor tokenIds, Tensor embeddings, PromptParameters prompts, Tensor? promptIndex, float embeddingScale, Tensor? rowOffset = null);

    /// <summary>
    /// Gradients of the DePT input, accumulated into <paramref name="gradients"/> (+=): with S_p the sum of
    /// dInput[b, m:, :] over the examples of prompt p, dP_p += Σ dInput[b, :m, :], dA_p[:L] += scale·S_p·B_pᵀ,
    /// dB_p += scale·A_p[:L]ᵀ·S_p; rows of dA at or past L are untouched. With row offsets, row j of S_p sums
    /// dInput[b, m+j+o_b, :] (the rows the forward gave Δ row j).
    /// </summary>
    void PromptInputBackward(PromptGradients gradients, Tensor dInput, PromptParameters prompts, Tensor? promptIndex, Tensor? rowOffset = null);

    /// <summary>Δ = scale·A·B for every prompt and all s rows: delta (P, s, d) F32 from A (P, s, r), B (P, r, d).</summary>
    void LowRankDelta(Tensor delta, Tensor lowRankA, Tensor lowRankB, float lowRankScale);
}
