using DePT.Models;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

// TEMPORARY scaffold on the ops branch: every method here is replaced by its real implementation.
public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void Linear(Tensor output, Tensor input, Tensor weight, Tensor? bias, bool accumulate) => throw new NotImplementedException();

    /// <inheritdoc />
    public void LinearBackwardInput(Tensor dInput, Tensor dOutput, Tensor weight, bool accumulate) => throw new NotImplementedException();

    /// <inheritdoc />
    public void LinearBackwardWeight(Tensor dWeight, Tensor? dBias, Tensor dOutput, Tensor input) => throw new NotImplementedException();

    /// <inheritdoc />
    public void RmsNorm(Tensor output, Tensor rstd, Tensor input, Tensor weight, float eps) => throw new NotImplementedException();

    /// <inheritdoc />
    public void RmsNormBackward(Tensor dInput, Tensor dOutput, Tensor input, Tensor weight, Tensor rstd, bool accumulate) => throw new NotImplementedException();

    /// <inheritdoc />
    public void LayerNorm(Tensor output, Tensor mean, Tensor rstd, Tensor input, Tensor weight, Tensor bias, float eps) => throw new NotImplementedException();

    /// <inheritdoc />
    public void LayerNormBackward(Tensor dInput, Tensor dOutput, Tensor input, Tensor weight, Tensor mean, Tensor rstd, bool accumulate) => throw new NotImplementedException();

    /// <inheritdoc />
    public void Activation(Tensor output, Tensor input, ActivationFunction fn) => throw new NotImplementedException();

    /// <inheritdoc />
    public void ActivationBackward(Tensor dInput, Tensor dOutput, Tensor input, ActivationFunction fn) => throw new NotImplementedException();

    /// <inheritdoc />
    public void GatedActivation(Tensor output, Tensor input, ActivationFunction fn) => throw new NotImplementedException();

    /// <inheritdoc />
    public void GatedActivationBackward(Tensor dInput, Tensor dOutput, Tensor input, ActivationFunction fn) => throw new NotImplementedException();

    /// <inheritdoc />
    public void Add(Tensor output, Tensor a, Tensor b) => throw new NotImplementedException();

    /// <inheritdoc />
    public void Scale(Tensor output, Tensor input, float factor) => throw new NotImplementedException();

    /// <inheritdoc />
    public void Copy(Tensor output, Tensor input) => throw new NotImplementedException();

    /// <inheritdoc />
    public void Fill(Tensor output, float value) => throw new NotImplementedException();

    /// <inheritdoc />
    public void Dropout(Tensor output, Tensor input, float rate, ulong seed, ulong stream) => throw new NotImplementedException();

    /// <inheritdoc />
    public void DropoutBackward(Tensor dInput, Tensor dOutput, float rate, ulong seed, ulong stream) => throw new NotImplementedException();

    /// <inheritdoc />
    public void EmbeddingLookup(Tensor output, Tensor tokenIds, Tensor table, float scale) => throw new NotImplementedException();

    /// <inheritdoc />
    public void AddPositionEmbeddings(Tensor x, Tensor positions, Tensor tokenTypes, Tensor? tokenTypeIds) => throw new NotImplementedException();

    /// <inheritdoc />
    public void RelativePositionBias(Tensor bias, Tensor table, int queryOffset, bool bidirectional, int maxDistance) => throw new NotImplementedException();

    /// <inheritdoc />
    public AttentionState Attention(Tensor output, Tensor query, Tensor key, Tensor value, Tensor? keyMask, Tensor? positionBias, AttentionOptions options) => throw new NotImplementedException();

    /// <inheritdoc />
    public void AttentionBackward(Tensor dQuery, Tensor dKey, Tensor dValue, Tensor dOutput, Tensor query, Tensor key, Tensor value, AttentionState state) => throw new NotImplementedException();

    /// <inheritdoc />
    public void SoftmaxCrossEntropy(Tensor losses, Tensor logits, Tensor labels, int ignoreIndex, float? gradientScale) => throw new NotImplementedException();

    /// <inheritdoc />
    public void Pool(Tensor output, Tensor input, Tensor mask, PoolingKind kind) => throw new NotImplementedException();

    /// <inheritdoc />
    public void PoolBackward(Tensor dInput, Tensor dOutput, Tensor mask, PoolingKind kind) => throw new NotImplementedException();

    /// <inheritdoc />
    public void ArgMax(Tensor indices, Tensor logits) => throw new NotImplementedException();

    /// <inheritdoc />
    public void WriteRows(Tensor cache, Tensor rows, int position) => throw new NotImplementedException();
}
