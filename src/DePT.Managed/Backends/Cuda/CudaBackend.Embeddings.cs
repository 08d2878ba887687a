using DePT.Tensors;

namespace DePT.Backends.Cuda;

// Embedding gathers, BERT's position and token-type terms, T5's relative position bias:
// src/DePT.Kernels/embedding.cuh.
public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void EmbeddingLookup(Tensor output, Tensor tokenIds, Tensor table, float scale)
    {
        var (rows, dim, vocab) = OpChecks.EmbeddingLookup(nameof(EmbeddingLookup), Device, output, tokenIds, table);
        var args = new EmbeddingLookupArgs
        {
            Out = Ptr(output), Ids = Ptr(tokenIds), Table = Ptr(table), ErrorWord = CudaDevice.ErrorWord.Address,
            Rows = rows, Dim = dim, Vocab = vocab, Bf16 = Bf16(output, 0) | Bf16(table, 2), Scale = scale,
        };
        CudaDevice.Kernels.Launch("embedding_lookup", Flat(Chunks(rows, dim)), args);
    }

    /// <inheritdoc />
    public void AddPositionEmbeddings(Tensor x, Tensor positions, Tensor tokenTypes, Tensor? tokenTypeIds)
    {
        var (batch, seqLen, dim, types) = OpChecks.PositionEmbeddings(nameof(AddPositionEmbeddings), Device, x, positions, tokenTypes, tokenTypeIds);
        var args = new AddPositionsArgs
        {
            X = Ptr(x), Positions = Ptr(positions), TokenTypes = Ptr(tokenTypes), TypeIds = Ptr(tokenTypeIds), ErrorWord = CudaDevice.ErrorWord.Address,
            Batch = batch, SeqLen = seqLen, Dim = dim, NumTypes = types, Bf16 = Bf16(x, 0) | Bf16(positions, 1) | Bf16(tokenTypes, 2),
        };
        CudaDevice.Kernels.Launch("embedding_add_positions", Flat(Chunks((long)batch * seqLen, dim)), args);
    }

    /// <inheritdoc />
    public void RelativePositionBias(Tensor bias, Tensor table, int queryOffset, bool bidirectional, int maxDistance)
    {
        var (heads, queryLen, keyLen, buckets) = OpChecks.RelativePositionBias(nameof(RelativePositionBias), Device, bias, table, queryOffset, bidirectional, maxDistance);
        int maxExact = (bidirectional ? buckets / 2 : buckets) / 2;   // T5's exact range: half of the buckets of one direction
        var args = new RelativeBiasArgs
        {
            Bias = Ptr(bias), Table = Ptr(table), Heads = heads, QueryLen = queryLen, KeyLen = keyLen, Buckets = buckets,
            QueryOffset = queryOffset, Bidirectional = bidirectional ? 1 : 0, Bf16 = Bf16(table, 1),
            // torch divides by math.log(max_distance / max_exact): a double, rounded to fp32 for the fp32 tensor
            LogRatio = (float)Math.Log((double)maxDistance / maxExact),
        };
        CudaDevice.Kernels.Launch("relative_position_bias", Flat((long)queryLen * keyLen), args);
    }
}
