using DePT.Kernels;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

// What sits on top of the encoder/decoder stacks: cross-entropy and argmax over vocabulary rows
// (src/DePT.Kernels/loss.cuh), pooling for classification heads (src/DePT.Kernels/pool.cuh).
public sealed partial class CudaBackend
{
    private const int VocabularyMaxThreads = 1024;   // few rows (B·T targets), long rows (V): a wide block per row
    private const uint PoolBackwardThreads = 128;

    /// <inheritdoc />
    public void SoftmaxCrossEntropy(Tensor losses, Tensor logits, Tensor labels, int ignoreIndex, float? gradientScale)
    {
        const string op = nameof(SoftmaxCrossEntropy);
        var (rows, vocab) = VocabularyRows(op, logits);
        OpChecks.Int32(op, nameof(labels), labels, Device);
        OpChecks.Count(op, nameof(labels), labels, rows, "the rows N of logits");
        OpChecks.F32(op, nameof(losses), losses, Device);
        OpChecks.Count(op, nameof(losses), losses, rows, "the rows N of logits");
        if (gradientScale is { } g && !float.IsFinite(g))
            throw new ArgumentOutOfRangeException(nameof(gradientScale), g, $"{op}: the gradient scale must be finite.");
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
        const string op = nameof(ArgMax);
        var (rows, vocab) = VocabularyRows(op, logits);
        OpChecks.Int32(op, nameof(indices), indices, Device);
        OpChecks.Count(op, nameof(indices), indices, rows, "the rows N of logits");
        var args = new ArgMaxArgs { Indices = Ptr(indices), Logits = Ptr(logits), Rows = rows, Vocab = vocab, Bf16 = Bf16(logits, 1) };
        CudaDevice.Kernels.Launch("argmax_rows", PerRow(rows, vocab, VocabularyMaxThreads), args);
    }

    /// <inheritdoc />
    public void Pool(Tensor output, Tensor input, Tensor mask, PoolingKind kind)
    {
        const string op = nameof(Pool);
        var (batch, seqLen, dim) = PoolShape(op, nameof(input), input, mask);
        OpChecks.Float(op, nameof(output), output, Device);
        OpChecks.Shape(op, nameof(output), output, $"(B={batch}, d={dim})", batch, dim);
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
        const string op = nameof(PoolBackward);
        var (batch, seqLen, dim) = PoolShape(op, nameof(dInput), dInput, mask);
        OpChecks.Float(op, nameof(dOutput), dOutput, Device);
        OpChecks.Shape(op, nameof(dOutput), dOutput, $"(B={batch}, d={dim})", batch, dim);
        var args = new PoolArgs
        {
            Out = Ptr(dInput), Inp = Ptr(dOutput), Mask = Ptr(mask), Batch = batch, SeqLen = seqLen, Dim = dim, Kind = PoolCode(kind),
            Bf16 = Bf16(dInput, 0) | Bf16(dOutput, 1),
        };
        CudaDevice.Kernels.Launch("pool_backward", new LaunchShape(checked((uint)((long)batch * seqLen)), 1, 1, PoolBackwardThreads), args);
    }

    // logits (N, V) with V ≥ 1: rows of a vocabulary
    private (int Rows, int Vocab) VocabularyRows(string op, Tensor logits)
    {
        OpChecks.Float(op, nameof(logits), logits, Device);
        var (rows, vocab) = OpChecks.Rows(op, nameof(logits), logits);
        if (vocab < 1) throw new ArgumentException($"{op}: logits {logits.ShapeText} has no classes.", nameof(logits));
        return (rows, vocab);
    }

    // states (B, T, d) and mask (B, T) I32
    private (int Batch, int SeqLen, int Dim) PoolShape(string op, string name, Tensor states, Tensor mask)
    {
        OpChecks.FloatRank(op, name, states, 3, Device);
        OpChecks.Int32(op, nameof(mask), mask, Device);
        int batch = states.Dim(0), seqLen = states.Dim(1), dim = states.Dim(2);
        OpChecks.Shape(op, nameof(mask), mask, $"(B={batch}, T={seqLen})", batch, seqLen);
        if (seqLen < 1) throw new ArgumentException($"{op}: {name} {states.ShapeText} has no positions to pool.", name);
        return (batch, seqLen, dim);
    }

    // The kernels' kind codes (pool.cuh).
    private static int PoolCode(PoolingKind kind) => kind switch
    {
        PoolingKind.Mean => 0,
        PoolingKind.Cls => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "No CUDA kernel for this pooling."),
    };
}
