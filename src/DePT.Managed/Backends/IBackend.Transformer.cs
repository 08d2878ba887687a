using DePT.Models;
using DePT.Tensors;

namespace DePT.Backends;

// The frozen-weight transformer ops. Conventions, for every op below:
// - Weights are frozen: backwards produce activation gradients only (never weight gradients), except
//   LinearBackwardWeight, which exists for small trainable heads.
// - Activation gradients are assigned (=) unless `accumulate` is true (then +=, for residual branches).
// - "Rows": a tensor of rank ≥ 2 is read as (N, last) with N the product of the leading dimensions.
// - Float tensors are F32 or BF16 (mixed freely; accumulation is always fp32); index tensors are I32.
// - Saved statistics (rstd, mean, attention state) are F32 and owned by the caller.
public partial interface IBackend
{
    /// <summary>output (N, out) = input (N, in) · weightᵀ (weight is (out, in), as Hugging Face stores it) + bias (out).</summary>
    void Linear(Tensor output, Tensor input, Tensor weight, Tensor? bias, bool accumulate = false);

    /// <summary>dInput (N, in) = dOutput (N, out) · weight (out, in).</summary>
    void LinearBackwardInput(Tensor dInput, Tensor dOutput, Tensor weight, bool accumulate = false);

    /// <summary>dWeight (out, in) += dOutputᵀ · input; dBias (out) += column sums of dOutput. For trainable heads only.</summary>
    void LinearBackwardWeight(Tensor dWeight, Tensor? dBias, Tensor dOutput, Tensor input);

    /// <summary>T5's norm: output = input · rsqrt(mean(input²) + eps) · weight, no mean subtraction; rstd (N) saved.</summary>
    void RmsNorm(Tensor output, Tensor rstd, Tensor input, Tensor weight, float eps);

    /// <summary>Gradient of <see cref="RmsNorm"/> with respect to its input.</summary>
    void RmsNormBackward(Tensor dInput, Tensor dOutput, Tensor input, Tensor weight, Tensor rstd, bool accumulate = false);

    /// <summary>output = (input − mean) · rstd · weight + bias over the last dimension; mean, rstd (N) saved.</summary>
    void LayerNorm(Tensor output, Tensor mean, Tensor rstd, Tensor input, Tensor weight, Tensor bias, float eps);

    /// <summary>Gradient of <see cref="LayerNorm"/> with respect to its input.</summary>
    void LayerNormBackward(Tensor dInput, Tensor dOutput, Tensor input, Tensor weight, Tensor mean, Tensor rstd, bool accumulate = false);

    /// <summary>output = fn(input), elementwise (output may be input).</summary>
    void Activation(Tensor output, Tensor input, ActivationFunction fn);

    /// <summary>dInput = dOutput · fn′(input).</summary>
    void ActivationBackward(Tensor dInput, Tensor dOutput, Tensor input, ActivationFunction fn);

    /// <summary>Gated feed-forward: input (N, 2F) holds [gate | up]; output (N, F) = fn(gate) · up.</summary>
    void GatedActivation(Tensor output, Tensor input, ActivationFunction fn);

    /// <summary>dInput (N, 2F) = [dOutput · up · fn′(gate) | dOutput · fn(gate)].</summary>
    void GatedActivationBackward(Tensor dInput, Tensor dOutput, Tensor input, ActivationFunction fn);

    /// <summary>output = a + b, elementwise, same shapes (output may be a or b).</summary>
    void Add(Tensor output, Tensor a, Tensor b);

    /// <summary>output = input · factor (output may be input).</summary>
    void Scale(Tensor output, Tensor input, float factor);

    /// <summary>Copies with dtype conversion (F32 ↔ BF16); same element count.</summary>
    void Copy(Tensor output, Tensor input);

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    void Fill(Tensor output, float value);

    /// <summary>
    /// Inverted dropout with a counter-based generator: element i is kept when hash(seed, stream, i) ≥ rate,
    /// and kept elements are scaled by 1/(1−rate). The same (seed, stream) gives the same mask, so the
    /// backward regenerates it instead of storing it. Rate 0 copies. Output may be input.
    /// </summary>
    void Dropout(Tensor output, Tensor input, float rate, ulong seed, ulong stream);

    /// <summary>dInput = dOutput masked and scaled exactly as <see cref="Dropout"/> did with the same seed and stream.</summary>
    void DropoutBackward(Tensor dInput, Tensor dOutput, float rate, ulong seed, ulong stream);

    /// <summary>output (B, T, d) = table[tokenIds (B, T)] · scale; ids are checked against the table's rows.</summary>
    void EmbeddingLookup(Tensor output, Tensor tokenIds, Tensor table, float scale);

    /// <summary>
    /// BERT's additive embeddings: x (B, T, d) += positions[t] + tokenTypes[tokenTypeIds[b, t]] (type 0 when
    /// tokenTypeIds is null). Positions start at 0 for the first row (prompt rows included). Its backward is the identity.
    /// </summary>
    void AddPositionEmbeddings(Tensor x, Tensor positions, Tensor tokenTypes, Tensor? tokenTypeIds);

    /// <summary>
    /// T5's relative position bias: bias (H, Tq, Tk) F32 with bias[h, i, j] = table[bucket(j − (i + queryOffset)), h],
    /// table (buckets, H). Bidirectional (encoder) or causal (decoder) buckets; computed once per stack.
    /// </summary>
    void RelativePositionBias(Tensor bias, Tensor table, int queryOffset, bool bidirectional, int maxDistance);

    /// <summary>
    /// Rotary position embeddings, Hugging Face's rotate_half convention: in every head of input (B, T, H·dh), element
    /// j &lt; dh/2 and element j + dh/2 turn by the angle θ = positions[b, t] · inverseFrequencies[j] (an fp32 product):
    /// (x₁, x₂) → (x₁·cos θ − x₂·sin θ, x₂·cos θ + x₁·sin θ). positions (B, T) I32, inverseFrequencies (dh/2) F32.
    /// Output may be input.
    /// </summary>
    void RotaryEmbedding(Tensor output, Tensor input, Tensor positions, Tensor inverseFrequencies, int heads);

    /// <summary>dInput = the transposed rotation of <see cref="RotaryEmbedding"/> applied to dOutput (assigned; may alias).</summary>
    void RotaryEmbeddingBackward(Tensor dInput, Tensor dOutput, Tensor positions, Tensor inverseFrequencies, int heads);

    /// <summary>
    /// Multi-head attention: output (B, Tq, H·dh) = softmax(scale·Q·Kᵀ + bias + masks)·V per head, with query
    /// (B, Tq, H·dh) and key, value (B, Tcap, H·dh) of which the first <see cref="AttentionOptions.KeyLength"/>
    /// rows are used (a KV cache); with grouped-query attention key and value are (B, Tcap, Hkv·dh)
    /// (<see cref="AttentionOptions.KeyValueHeads"/>). keyMask (B, Tk or Tcap) I32: 0 masks a key. The bias is dense or T5's
    /// relative table (<see cref="Backends.PositionBias"/>; frozen, no gradient). Fully masked rows give zeros, never NaN.
    /// Returns what the backward needs.
    /// </summary>
    AttentionState Attention(Tensor output, Tensor query, Tensor key, Tensor value, Tensor? keyMask, PositionBias? positionBias, AttentionOptions options);

    /// <summary>Gradients of <see cref="Attention"/> for its query, key and value (assigned).</summary>
    void AttentionBackward(Tensor dQuery, Tensor dKey, Tensor dValue, Tensor dOutput, Tensor query, Tensor key, Tensor value, AttentionState state);

    /// <summary>
    /// Softmax cross-entropy over rows: losses (N) F32 = −log softmax(logits)[label] (0 where label == ignoreIndex).
    /// With a gradient scale, logits (N, V) is overwritten by its gradient (softmax − onehot)·gradientScale
    /// (zero rows where ignored), so the logits are never held twice.
    /// </summary>
    void SoftmaxCrossEntropy(Tensor losses, Tensor logits, Tensor labels, int ignoreIndex, float? gradientScale);

    /// <summary>output (B, d) pools input (B, T, d): the mean over positions with mask (B, T) I32 set, or row 0 (CLS).</summary>
    void Pool(Tensor output, Tensor input, Tensor mask, PoolingKind kind);

    /// <summary>dInput (B, T, d) = the gradient of <see cref="Pool"/> (assigned).</summary>
    void PoolBackward(Tensor dInput, Tensor dOutput, Tensor mask, PoolingKind kind);

    /// <summary>indices (N) I32 = argmax over the last dimension of logits (N, V); ties give the lowest index.</summary>
    void ArgMax(Tensor indices, Tensor logits);

    /// <summary>cache (B, Tcap, d)[:, position : position + Tn, :] = rows (B, Tn, d): appends to a KV cache.</summary>
    void WriteRows(Tensor cache, Tensor rows, int position);

    /// <summary>rows (B, Tn, d) = cache (B, Tcap, d)[:, position : position + Tn, :]: e.g. the last position's hidden state.</summary>
    void ReadRows(Tensor rows, Tensor cache, int position);

    /// <summary>
    /// output (K, d)[k] = input (N, d)[rowIndices[k]], rowIndices (K) I32 distinct and in [0, N) (rank ≥ 2 tensors read
    /// as rows): e.g. the rows a loss scores.
    /// </summary>
    void GatherRows(Tensor output, Tensor input, Tensor rowIndices);

    /// <summary>dInput (N, d) = the gradient of <see cref="GatherRows"/> (assigned): dOutput's rows at rowIndices, zeros elsewhere.</summary>
    void GatherRowsBackward(Tensor dInput, Tensor dOutput, Tensor rowIndices);
}
