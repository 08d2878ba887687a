using DePT.Kernels;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

// What sits on top of the stacks: cross-entropy and argmax over vocabulary rows (src/DePT.Kernels/loss.cuh),
// pooling for classification heads (src/DePT.Kernels/pool.cuh).
public sealed partial class CudaBackend
{
    private const int VocabularyMaxThreads = 1024;   // few rows (B·T targets), long rows (V): a wide block per row
    private const uint PoolBackwardThreads = 128;

    /// <inheritdoc />
    public void SoftmaxCrossEntropy(Tensor losses, Tensor logits, Tensor labels, int ignoreIndex, float? gradientScale)
    {
        var (rows, vocab) = OpChecks.SoftmaxCrossEntropy(nameof(SoftmaxCrossEntropy), Device, losses, logits, labels, gradientScale);
        var args = new CrossEntropyArgs
        {
            Losses = Ptr(losses), Logits = Ptr(logits), Labels = Ptr(labels), ErrorWord = CudaDevice.ErrorWord.Address,
            Rows = rows, Vocab = vocab, IgnoreIndex = ignoreIndex, WriteGradient = gradientScale.HasValue ? 1 : 0,
            Bf16 = Bf16(logits, 1), GradientScale = gradientScale ?? 0f,
        };
        CudaDevice.Kernels.Launch("softmax_cross_entropy", PerRow(rows, vocab, VocabularyMaxThreads), args);
    }

    /// <inheritdoc />
    public void ArgMax(Tensor indices, Tensor logits)
    {
        var (rows, vocab) = OpChecks.ArgMax(nameof(ArgMax), Device, indices, logits);
        var args = new ArgMaxArgs { Indices = Ptr(indices), Logits = Ptr(logits), Rows = rows, Vocab = vocab, Bf16 = Bf16(logits, 1) };
        CudaDevice.Kernels.Launch("argmax_rows", PerRow(rows, vocab, VocabularyMaxThreads), args);
    }

    /// <inheritdoc />
    public void Pool(Tensor output, Tensor input, Tensor mask, PoolingKind kind)
    {
        var (batch, seqLen, dim) = OpChecks.Pool(nameof(Pool), Device, output, nameof(output), input, nameof(input), mask);
        var args = new PoolArgs
        {
            Out = Ptr(output), Inp = Ptr(input), Mask = Ptr(mask), Batch = batch, SeqLen = seqLen, Dim = dim, Kind = PoolCode(kind),
            Bf16 = Bf16(output, 0) | Bf16(input, 1),
        };
        CudaDevice.Kernels.Launch("pool_forward", Flat((long)batch * dim), args);
    }

    /// <inheritdoc />
    public void PoolBackward(Tensor dInput, Tensor dOutput, Tensor mask, PoolingKind kind)
    {
        var (batch, seqLen, dim) = OpChecks.Pool(nameof(PoolBackward), Device, dOutput, nameof(dOutput), dInput, nameof(dInput), mask);
        var args = new PoolArgs
        {
            Out = Ptr(dInput), Inp = Ptr(dOutput), Mask = Ptr(mask), Batch = batch, SeqLen = seqLen, Dim = dim, Kind = PoolCode(kind),
            Bf16 = Bf16(dInput, 0) | Bf16(dOutput, 1),
        };
        CudaDevice.Kernels.Launch("pool_backward", new LaunchShape(checked((uint)((long)batch * seqLen)), 1, 1, PoolBackwardThreads), args);
    }

    // The kernels' kind codes (pool.cuh), spelled out so that a new enum member fails loudly here.
    private static int PoolCode(PoolingKind kind) => kind switch
    {
        PoolingKind.Mean => 0,
        PoolingKind.Cls => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "No CUDA kernel for this pooling."),
    };
}
