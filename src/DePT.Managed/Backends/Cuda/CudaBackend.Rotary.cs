using DePT.Tensors;

namespace DePT.Backends.Cuda;

// Rotary position embeddings: src/DePT.Kernels/rotary.cuh, one thread per rotated pair.
public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void RotaryEmbedding(Tensor output, Tensor input, Tensor positions, Tensor inverseFrequencies, int heads) =>
        Rotate(nameof(RotaryEmbedding), output, nameof(output), input, nameof(input), positions, inverseFrequencies, heads, 1f);

    /// <inheritdoc />
    public void RotaryEmbeddingBackward(Tensor dInput, Tensor dOutput, Tensor positions, Tensor inverseFrequencies, int heads) =>
        Rotate(nameof(RotaryEmbeddingBackward), dInput, nameof(dInput), dOutput, nameof(dOutput), positions, inverseFrequencies, heads, -1f);

    private void Rotate(string op, Tensor output, string outputName, Tensor input, string inputName, Tensor positions, Tensor inverseFrequencies, int heads, float sign)
    {
        var (batch, length, dh) = OpChecks.Rotary(op, Device, output, outputName, input, inputName, positions, inverseFrequencies, heads);
        var args = new RotaryArgs
        {
            Out = Ptr(output), Inp = Ptr(input), Positions = Ptr(positions), InvFreq = Ptr(inverseFrequencies),
            Batch = batch, SeqLen = length, Heads = heads, HeadDim = dh, Bf16 = Bf16(output, 0) | Bf16(input, 1), Sign = sign,
        };
        CudaDevice.Kernels.Launch("rotary_embedding", Flat((long)batch * length * heads * (dh / 2)), args);
    }
}
