using DePT.Tensors;

namespace DePT.Backends.Cuda;

// Embedding gathers, BERT's position and token-type terms, T5's relative position bias:
// src/DePT.Kernels/embedding.cuh.
public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void EmbeddingLookup(Tensor output, Tensor tokenIds, Tensor table, float scale)
    {
        const string op = nameof(EmbeddingLookup);
        OpChecks.Int32(op, nameof(tokenIds), tokenIds, Device);
        OpChecks.FloatRank(op, nameof(table), table, 2, Device);
        OpChecks.Float(op, nameof(output), output, Device);
        int vocab = table.Dim(0), dim = table.Dim(1);
        int[] expected = [.. tokenIds.Shape, dim];
        OpChecks.Shape(op, nameof(output), output, $"the shape of tokenIds {tokenIds.ShapeText} plus d={dim}", expected);
        if (tokenIds.Length > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(tokenIds), $"{op}: tokenIds {tokenIds.ShapeText} holds more than {int.MaxValue} ids.");
        int rows = (int)tokenIds.Length;
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
        const string op = nameof(AddPositionEmbeddings);
        OpChecks.FloatRank(op, nameof(x), x, 3, Device);
        OpChecks.FloatRank(op, nameof(positions), positions, 2, Device);
        OpChecks.FloatRank(op, nameof(tokenTypes), tokenTypes, 2, Device);
        int batch = x.Dim(0), seqLen = x.Dim(1), dim = x.Dim(2);
        if (positions.Dim(1) != dim || positions.Dim(0) < seqLen)
            throw new ArgumentException($"{op}: positions is {positions.ShapeText}; x {x.ShapeText} needs at least {seqLen} rows of width {dim}.", nameof(positions));
        if (tokenTypes.Dim(1) != dim || tokenTypes.Dim(0) < 1)
            throw new ArgumentException($"{op}: tokenTypes is {tokenTypes.ShapeText}; x {x.ShapeText} needs at least one row of width {dim}.", nameof(tokenTypes));
        if (tokenTypeIds is not null)
        {
            OpChecks.Int32(op, nameof(tokenTypeIds), tokenTypeIds, Device);
            OpChecks.Shape(op, nameof(tokenTypeIds), tokenTypeIds, $"(B={batch}, T={seqLen})", batch, seqLen);
        }
        var args = new AddPositionsArgs
        {
            X = Ptr(x), Positions = Ptr(positions), TokenTypes = Ptr(tokenTypes), TypeIds = Ptr(tokenTypeIds), ErrorWord = CudaDevice.ErrorWord.Address,
            Batch = batch, SeqLen = seqLen, Dim = dim, NumTypes = tokenTypes.Dim(0),
            Bf16 = Bf16(x, 0) | Bf16(positions, 1) | Bf16(tokenTypes, 2),
        };
        CudaDevice.Kernels.Launch("embedding_add_positions", Flat(Chunks((long)batch * seqLen, dim)), args);
    }

    /// <inheritdoc />
    public void RelativePositionBias(Tensor bias, Tensor table, int queryOffset, bool bidirectional, int maxDistance)
    {
        const string op = nameof(RelativePositionBias);
        OpChecks.FloatRank(op, nameof(table), table, 2, Device);
        OpChecks.F32(op, nameof(bias), bias, Device);
        OpChecks.Rank(op, nameof(bias), bias, 3);
        int buckets = table.Dim(0), heads = table.Dim(1);
        OpChecks.Shape(op, nameof(bias), bias, $"(H={heads}, Tq, Tk)", heads, bias.Dim(1), bias.Dim(2));
        // T5's buckets: half per direction when bidirectional, and the exact range is half of those
        int maxExact = (bidirectional ? buckets / 2 : buckets) / 2;
        if (maxExact < 1)
            throw new ArgumentException($"{op}: table {table.ShapeText} has too few buckets ({buckets}) for {(bidirectional ? "bidirectional" : "causal")} T5 buckets.", nameof(table));
        if (maxDistance <= maxExact)
            throw new ArgumentOutOfRangeException(nameof(maxDistance), maxDistance, $"{op}: maxDistance must exceed the {maxExact} exact buckets.");
        ArgumentOutOfRangeException.ThrowIfNegative(queryOffset);
        var args = new RelativeBiasArgs
        {
            Bias = Ptr(bias), Table = Ptr(table), Heads = heads, QueryLen = bias.Dim(1), KeyLen = bias.Dim(2), Buckets = buckets,
            QueryOffset = queryOffset, Bidirectional = bidirectional ? 1 : 0, Bf16 = Bf16(table, 1),
            // torch divides by math.log(max_distance / max_exact): a double, rounded to fp32 for the fp32 tensor
            LogRatio = (float)Math.Log((double)maxDistance / maxExact),
        };
        CudaDevice.Kernels.Launch("relative_position_bias", Flat((long)args.QueryLen * args.KeyLen), args);
    }
}
