using DePT.Devices;
using DePT.Tensors;

namespace DePT.Backends;

/// <summary>
/// Argument checks of the transformer ops, shared by every backend so they reject the same input with the
/// same message: each method checks devices, ranks, dtypes and shapes, names the op, the tensor and the
/// values in its exception, and returns the sizes the op runs with. "Rows" follows the interface: a tensor
/// is read as (N, last) with N the product of its leading dimensions (rank 1 is one row).
/// </summary>
internal static class OpChecks
{
    private static readonly DType[] Floats = [DType.F32, DType.BF16];
    private static readonly DType[] F32Only = [DType.F32];
    private static readonly DType[] I32Only = [DType.I32];

    /// <summary>The sizes of one attention call; Tk is the live key count, MaskStride and BiasStride the row lengths of keyMask and positionBias.</summary>
    public readonly record struct AttentionSizes(int Batch, int QueryLen, int Capacity, int KeyLen, int Heads, int HeadDim, int MaskStride, int BiasStride, int KeyValueHeads)
    {
        public int Width => Heads * HeadDim;

        /// <summary>The width of key and value rows, H_kv·dh.</summary>
        public int KeyWidth => KeyValueHeads * HeadDim;

        /// <summary>Query heads per key/value head.</summary>
        public int Group => Heads / KeyValueHeads;
    }

    public static (int N, int In, int Out) Linear(string op, Device device, Tensor output, Tensor input, Tensor weight, Tensor? bias)
    {
        Float(op, "weight", weight, device);
        Rank(op, "weight", weight, 2);
        int outFeatures = weight.Dim(0), inFeatures = weight.Dim(1);
        var (n, width) = FloatRows(op, "input", input, device);
        if (width != inFeatures)
            throw new ArgumentException($"{op}: input {input.ShapeText} has width {width}; weight {weight.ShapeText} (out, in) takes in={inFeatures}.");
        var (outRows, outWidth) = FloatRows(op, "output", output, device);
        if (outWidth != outFeatures)
            throw new ArgumentException($"{op}: output {output.ShapeText} has width {outWidth}; weight {weight.ShapeText} (out, in) gives out={outFeatures}.");
        SameRows(op, "output", output, outRows, "input", input, n);
        Distinct(op, "output", output, "input", input);
        if (bias is not null)
        {
            Float(op, "bias", bias, device);
            Shape(op, "bias", bias, $"(out={outFeatures})", outFeatures);
        }
        return (n, inFeatures, outFeatures);
    }

    public static (int N, int In, int Out) LinearBackwardInput(string op, Device device, Tensor dInput, Tensor dOutput, Tensor weight)
    {
        Float(op, "weight", weight, device);
        Rank(op, "weight", weight, 2);
        int outFeatures = weight.Dim(0), inFeatures = weight.Dim(1);
        var (n, outWidth) = FloatRows(op, "dOutput", dOutput, device);
        if (outWidth != outFeatures)
            throw new ArgumentException($"{op}: dOutput {dOutput.ShapeText} has width {outWidth}; weight {weight.ShapeText} (out, in) gives out={outFeatures}.");
        var (inRows, inWidth) = FloatRows(op, "dInput", dInput, device);
        if (inWidth != inFeatures)
            throw new ArgumentException($"{op}: dInput {dInput.ShapeText} has width {inWidth}; weight {weight.ShapeText} (out, in) takes in={inFeatures}.");
        SameRows(op, "dInput", dInput, inRows, "dOutput", dOutput, n);
        Distinct(op, "dInput", dInput, "dOutput", dOutput);
        return (n, inFeatures, outFeatures);
    }

    public static (int N, int In, int Out) LinearBackwardWeight(string op, Device device, Tensor dWeight, Tensor? dBias, Tensor dOutput, Tensor input)
    {
        Require(op, "dWeight", dWeight, device, F32Only);
        Rank(op, "dWeight", dWeight, 2);
        int outFeatures = dWeight.Dim(0), inFeatures = dWeight.Dim(1);
        var (n, outWidth) = FloatRows(op, "dOutput", dOutput, device);
        if (outWidth != outFeatures)
            throw new ArgumentException($"{op}: dOutput {dOutput.ShapeText} has width {outWidth}; dWeight {dWeight.ShapeText} (out, in) has out={outFeatures}.");
        var (inRows, inWidth) = FloatRows(op, "input", input, device);
        if (inWidth != inFeatures)
            throw new ArgumentException($"{op}: input {input.ShapeText} has width {inWidth}; dWeight {dWeight.ShapeText} (out, in) has in={inFeatures}.");
        SameRows(op, "input", input, inRows, "dOutput", dOutput, n);
        if (dBias is not null)
        {
            Require(op, "dBias", dBias, device, F32Only);
            Shape(op, "dBias", dBias, $"(out={outFeatures})", outFeatures);
        }
        return (n, inFeatures, outFeatures);
    }

    /// <summary>RmsNorm and LayerNorm forward: output like input, weight (and bias) (d), statistics F32 of N elements.</summary>
    public static (int N, int D) Norm(string op, Device device, Tensor output, Tensor input, Tensor weight, Tensor? bias, float eps, params (string Name, Tensor Tensor)[] statistics)
    {
        var (n, d) = FloatRows(op, "input", input, device);
        Float(op, "output", output, device);
        SameShape(op, "output", output, "input", input);
        Float(op, "weight", weight, device);
        Shape(op, "weight", weight, $"(d={d})", d);
        if (bias is not null)
        {
            Float(op, "bias", bias, device);
            Shape(op, "bias", bias, $"(d={d})", d);
        }
        foreach (var (name, tensor) in statistics) Statistic(op, name, tensor, device, n);
        if (!float.IsFinite(eps) || eps < 0) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"{op}: eps must be finite and ≥ 0.");
        return (n, d);
    }

    /// <summary>RmsNorm and LayerNorm backward: dInput, dOutput like input, weight (d), statistics F32 of N elements.</summary>
    public static (int N, int D) NormBackward(string op, Device device, Tensor dInput, Tensor dOutput, Tensor input, Tensor weight, params (string Name, Tensor Tensor)[] statistics)
    {
        var (n, d) = FloatRows(op, "input", input, device);
        Float(op, "dOutput", dOutput, device);
        SameShape(op, "dOutput", dOutput, "input", input);
        Float(op, "dInput", dInput, device);
        SameShape(op, "dInput", dInput, "input", input);
        Float(op, "weight", weight, device);
        Shape(op, "weight", weight, $"(d={d})", d);
        foreach (var (name, tensor) in statistics) Statistic(op, name, tensor, device, n);
        return (n, d);
    }

    /// <summary>Elementwise ops: every tensor float and shaped like the first.</summary>
    public static long Elementwise(string op, Device device, params (string Name, Tensor Tensor)[] tensors)
    {
        var (firstName, first) = tensors[0];
        Float(op, firstName, first, device);
        foreach (var (name, tensor) in tensors.AsSpan(1))
        {
            Float(op, name, tensor, device);
            SameShape(op, name, tensor, firstName, first);
        }
        return first.Length;
    }

    /// <summary>Gated activation: input (N, 2F) holds [gate | up], output (N, F); the backward's dInput is like input and dOutput like output.</summary>
    public static (int N, int F) Gated(string op, Device device, Tensor output, string outputName, Tensor input, string inputName)
    {
        var (n, width) = FloatRows(op, inputName, input, device);
        if (width % 2 != 0)
            throw new ArgumentException($"{op}: {inputName} {input.ShapeText} must hold [gate | up] halves; its width {width} is odd.");
        var (outRows, outWidth) = FloatRows(op, outputName, output, device);
        if (outWidth != width / 2)
            throw new ArgumentException($"{op}: {outputName} {output.ShapeText} must have width F={width / 2}, half of {inputName} {input.ShapeText}.");
        SameRows(op, outputName, output, outRows, inputName, input, n);
        return (n, width / 2);
    }

    public static void DropoutRate(string op, float rate)
    {
        if (!(rate >= 0f && rate < 1f)) throw new ArgumentOutOfRangeException(nameof(rate), rate, $"{op}: the dropout rate must lie in [0, 1).");
    }

    /// <summary>Embedding lookup: tokenIds (B, T) I32, table (V, d), output (B, T, d).</summary>
    public static (int Count, int D, int Vocab) EmbeddingLookup(string op, Device device, Tensor output, Tensor tokenIds, Tensor table)
    {
        Require(op, "tokenIds", tokenIds, device, I32Only);
        Rank(op, "tokenIds", tokenIds, 2);
        Float(op, "table", table, device);
        Rank(op, "table", table, 2);
        int b = tokenIds.Dim(0), t = tokenIds.Dim(1), vocab = table.Dim(0), d = table.Dim(1);
        Float(op, "output", output, device);
        Shape(op, "output", output, $"(B={b}, T={t}, d={d})", b, t, d);
        return (b * t, d, vocab);
    }

    /// <summary>BERT's position and token-type embeddings: x (B, T, d), positions (P ≥ T, d), tokenTypes (types, d), tokenTypeIds (B, T) I32.</summary>
    public static (int B, int T, int D, int Types) PositionEmbeddings(string op, Device device, Tensor x, Tensor positions, Tensor tokenTypes, Tensor? tokenTypeIds)
    {
        Float(op, "x", x, device);
        Rank(op, "x", x, 3);
        int b = x.Dim(0), t = x.Dim(1), d = x.Dim(2);
        Float(op, "positions", positions, device);
        Rank(op, "positions", positions, 2);
        if (positions.Dim(1) != d) throw new ArgumentException($"{op}: positions is {positions.ShapeText}, expected (P, d={d}).");
        if (positions.Dim(0) < t)
            throw new ArgumentOutOfRangeException(nameof(positions), $"{op}: x {x.ShapeText} has {t} positions but the position table {positions.ShapeText} holds only {positions.Dim(0)}.");
        Float(op, "tokenTypes", tokenTypes, device);
        Rank(op, "tokenTypes", tokenTypes, 2);
        if (tokenTypes.Dim(1) != d || tokenTypes.Dim(0) < 1) throw new ArgumentException($"{op}: tokenTypes is {tokenTypes.ShapeText}, expected (types ≥ 1, d={d}).");
        if (tokenTypeIds is not null)
        {
            Require(op, "tokenTypeIds", tokenTypeIds, device, I32Only);
            Shape(op, "tokenTypeIds", tokenTypeIds, $"(B={b}, T={t})", b, t);
        }
        return (b, t, d, tokenTypes.Dim(0));
    }

    /// <summary>T5's relative position bias: bias (H, Tq, Tk) F32, table (buckets, H).</summary>
    public static (int Heads, int QueryLen, int KeyLen, int Buckets) RelativePositionBias(string op, Device device, Tensor bias, Tensor table, int queryOffset, bool bidirectional, int maxDistance)
    {
        var (buckets, heads) = RelativeBiasTable(op, device, table, bidirectional, maxDistance);
        Require(op, "bias", bias, device, F32Only);
        Rank(op, "bias", bias, 3);
        if (bias.Dim(0) != heads) throw new ArgumentException($"{op}: bias is {bias.ShapeText}, expected (H={heads}, Tq, Tk) for table {table.ShapeText} (buckets, H).");
        ArgumentOutOfRangeException.ThrowIfNegative(queryOffset);
        return (heads, bias.Dim(1), bias.Dim(2), buckets);
    }

    /// <summary>A T5 relative bias table (buckets, H) and its bucket parameters.</summary>
    public static (int Buckets, int Heads) RelativeBiasTable(string op, Device device, Tensor table, bool bidirectional, int maxDistance)
    {
        Float(op, "table", table, device);
        Rank(op, "table", table, 2);
        int buckets = table.Dim(0), heads = table.Dim(1);
        int perDirection = bidirectional ? buckets / 2 : buckets;
        if (perDirection < 2)
            throw new ArgumentException($"{op}: table {table.ShapeText} has {buckets} buckets; {(bidirectional ? "bidirectional buckets need at least 4" : "causal buckets need at least 2")}.");
        if (maxDistance <= perDirection / 2)
            throw new ArgumentOutOfRangeException(nameof(maxDistance), maxDistance, $"{op}: the maximum distance must exceed the {perDirection / 2} exact buckets.");
        return (buckets, heads);
    }

    /// <summary>Rotary embeddings: output and input (B, T, H·dh) alike, positions (B, T) I32, inverse frequencies (dh/2) F32; returns (B, T, dh).</summary>
    public static (int Batch, int Length, int HeadDim) Rotary(string op, Device device, Tensor output, string outputName, Tensor input, string inputName,
        Tensor positions, Tensor inverseFrequencies, int heads)
    {
        Float(op, inputName, input, device);
        Rank(op, inputName, input, 3);
        int b = input.Dim(0), t = input.Dim(1), width = input.Dim(2);
        if (heads < 1 || width % heads != 0 || width / heads % 2 != 0)
            throw new ArgumentException($"{op}: {heads} heads must split the width of {inputName} {input.ShapeText} into heads of even width.");
        Float(op, outputName, output, device);
        SameShape(op, outputName, output, inputName, input);
        Require(op, "positions", positions, device, I32Only);
        Shape(op, "positions", positions, $"(B={b}, T={t})", b, t);
        Require(op, "inverseFrequencies", inverseFrequencies, device, F32Only);
        Shape(op, "inverseFrequencies", inverseFrequencies, $"(dh/2={width / heads / 2})", width / heads / 2);
        return (b, t, width / heads);
    }

    public static AttentionSizes Attention(string op, Device device, Tensor output, Tensor query, Tensor key, Tensor value, Tensor? keyMask, PositionBias? positionBias, AttentionOptions options, string outputName = "output")
    {
        Float(op, "query", query, device);
        Rank(op, "query", query, 3);
        int b = query.Dim(0), tq = query.Dim(1), width = query.Dim(2);
        if (options.Heads < 1 || width % options.Heads != 0)
            throw new ArgumentException($"{op}: {options.Heads} heads do not divide the width of query {query.ShapeText}.");
        int kvHeads = options.KeyValueHeadCount;
        if (kvHeads < 1 || options.Heads % kvHeads != 0)
            throw new ArgumentException($"{op}: {options.KeyValueHeads} key/value heads do not divide {options.Heads} query heads.");
        int keyWidth = kvHeads * (width / options.Heads);
        Float(op, "key", key, device);
        Rank(op, "key", key, 3);
        int capacity = key.Dim(1);
        Shape(op, "key", key, $"(B={b}, Tcap, Hkv·dh={keyWidth})", b, capacity, keyWidth);
        Float(op, "value", value, device);
        SameShape(op, "value", value, "key", key);
        Float(op, outputName, output, device);
        SameShape(op, outputName, output, "query", query);
        if (!float.IsFinite(options.Scale)) throw new ArgumentOutOfRangeException(nameof(options), $"{op}: the score scale is {options.Scale}.");
        if (options.KeyLength < 0 || options.KeyLength > capacity)
            throw new ArgumentOutOfRangeException(nameof(options), $"{op}: KeyLength {options.KeyLength} lies outside [0, Tcap={capacity}] of key {key.ShapeText}.");
        if (options.QueryOffset < 0) throw new ArgumentOutOfRangeException(nameof(options), $"{op}: QueryOffset {options.QueryOffset} is negative.");
        int tk = options.KeyLength == 0 ? capacity : options.KeyLength;
        if (tk < 1) throw new ArgumentException($"{op}: key {key.ShapeText} holds no key row.");
        int maskStride = 0, biasStride = 0;
        if (keyMask is not null)
        {
            Require(op, "keyMask", keyMask, device, I32Only);
            Rank(op, "keyMask", keyMask, 2);
            maskStride = keyMask.Dim(1);
            if (keyMask.Dim(0) != b || (maskStride != tk && maskStride != capacity))
                throw new ArgumentException($"{op}: keyMask is {keyMask.ShapeText}, expected (B={b}, Tk={tk}) or (B={b}, Tcap={capacity}).");
        }
        if (positionBias?.Dense is { } dense)
        {
            Require(op, "positionBias", dense, device, F32Only);
            Rank(op, "positionBias", dense, 3);
            biasStride = dense.Dim(2);
            if (dense.Dim(0) != options.Heads || dense.Dim(1) != tq || (biasStride != tk && biasStride != capacity))
                throw new ArgumentException($"{op}: positionBias is {dense.ShapeText}, expected (H={options.Heads}, Tq={tq}, Tk={tk}) or Tcap={capacity} columns.");
        }
        if (positionBias?.Table is { } table)
        {
            var buckets = RelativeBiasTable(op, device, table, positionBias.Bidirectional, positionBias.MaxDistance);
            if (buckets.Heads != options.Heads)
                throw new ArgumentException($"{op}: the relative bias table {table.ShapeText} (buckets, H) has {buckets.Heads} heads; the attention has {options.Heads}.");
        }
        return new AttentionSizes(b, tq, capacity, tk, options.Heads, width / options.Heads, maskStride, biasStride, kvHeads);
    }

    public static AttentionSizes AttentionBackward(string op, Device device, Tensor dQuery, Tensor dKey, Tensor dValue, Tensor dOutput, Tensor query, Tensor key, Tensor value, AttentionState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.IsDisposed) throw new ObjectDisposedException(nameof(state), $"{op}: the attention state was disposed before its backward.");
        var sizes = Attention(op, device, dOutput, query, key, value, state.KeyMask, state.PositionBias, state.Options, "dOutput");
        Float(op, "dQuery", dQuery, device);
        SameShape(op, "dQuery", dQuery, "query", query);
        Float(op, "dKey", dKey, device);
        SameShape(op, "dKey", dKey, "key", key);
        Float(op, "dValue", dValue, device);
        SameShape(op, "dValue", dValue, "value", value);
        if (state.KeyLength != sizes.KeyLen)
            throw new ArgumentException($"{op}: the forward attended over {state.KeyLength} keys, these tensors give {sizes.KeyLen}.");
        if (state.Probabilities is { } probabilities)
        {
            Require(op, "state", probabilities, device, F32Only);
            Shape(op, "saved probabilities", probabilities, $"(B={sizes.Batch}, H={sizes.Heads}, Tq={sizes.QueryLen}, Tk={sizes.KeyLen})", sizes.Batch, sizes.Heads, sizes.QueryLen, sizes.KeyLen);
        }
        else
        {
            Require(op, "state", state.LogSumExp!, device, F32Only);
            Shape(op, "saved log-sum-exps", state.LogSumExp!, $"(B={sizes.Batch}, H={sizes.Heads}, Tq={sizes.QueryLen})", sizes.Batch, sizes.Heads, sizes.QueryLen);
            SameShape(op, "saved output", state.Output!, "query", query);
        }
        return sizes;
    }

    /// <summary>Cross-entropy: losses F32 of N elements, logits (N, V), labels I32 of N elements.</summary>
    public static (int N, int Vocab) SoftmaxCrossEntropy(string op, Device device, Tensor losses, Tensor logits, Tensor labels, float? gradientScale)
    {
        var (n, vocab) = FloatRows(op, "logits", logits, device);
        Statistic(op, "losses", losses, device, n);
        Require(op, "labels", labels, device, I32Only);
        if (labels.Length != n) throw new ArgumentException($"{op}: labels {labels.ShapeText} must hold one label per logits row (N={n}) of {logits.ShapeText}.");
        if (gradientScale is { } scale && !float.IsFinite(scale))
            throw new ArgumentOutOfRangeException(nameof(gradientScale), scale, $"{op}: the gradient scale must be finite.");
        return (n, vocab);
    }

    /// <summary>Pooling: states (B, T, d), pooled (B, d), mask (B, T) I32.</summary>
    public static (int B, int T, int D) Pool(string op, Device device, Tensor pooled, string pooledName, Tensor states, string statesName, Tensor mask)
    {
        Float(op, statesName, states, device);
        Rank(op, statesName, states, 3);
        int b = states.Dim(0), t = states.Dim(1), d = states.Dim(2);
        Float(op, pooledName, pooled, device);
        Shape(op, pooledName, pooled, $"(B={b}, d={d})", b, d);
        Require(op, "mask", mask, device, I32Only);
        Shape(op, "mask", mask, $"(B={b}, T={t})", b, t);
        if (t < 1) throw new ArgumentException($"{op}: {statesName} {states.ShapeText} has no position to pool.");
        return (b, t, d);
    }

    public static (int N, int Vocab) ArgMax(string op, Device device, Tensor indices, Tensor logits)
    {
        var (n, vocab) = FloatRows(op, "logits", logits, device);
        Require(op, "indices", indices, device, I32Only);
        if (indices.Length != n) throw new ArgumentException($"{op}: indices {indices.ShapeText} must hold one index per logits row (N={n}) of {logits.ShapeText}.");
        return (n, vocab);
    }

    /// <summary>Indexed rows: the listed side (K, d), the indexed side (N, d), indices (K) I32; returns (K, N, d).</summary>
    public static (int Count, int Rows, int Dim) IndexedRows(string op, Device device, Tensor listed, string listedName, Tensor indexed, string indexedName, Tensor rowIndices)
    {
        var (rows, dim) = FloatRows(op, indexedName, indexed, device);
        var (count, listedDim) = FloatRows(op, listedName, listed, device);
        if (listedDim != dim)
            throw new ArgumentException($"{op}: {listedName} {listed.ShapeText} has rows of {listedDim}; {indexedName} {indexed.ShapeText} has rows of {dim}.");
        Require(op, "rowIndices", rowIndices, device, I32Only);
        if (rowIndices.Length != count)
            throw new ArgumentException($"{op}: rowIndices {rowIndices.ShapeText} must hold one index per row of {listedName} {listed.ShapeText} ({count}).");
        Distinct(op, listedName, listed, indexedName, indexed);
        return (count, rows, dim);
    }

    /// <summary>Rows written to or read from a cache: cache (B, Tcap, d), rows (B, Tn, d), position + Tn ≤ Tcap.</summary>
    public static (int B, int Rows, int Capacity, int D) CacheRows(string op, Device device, Tensor cache, Tensor rows, int position)
    {
        Float(op, "cache", cache, device);
        Rank(op, "cache", cache, 3);
        int b = cache.Dim(0), capacity = cache.Dim(1), d = cache.Dim(2);
        Float(op, "rows", rows, device);
        Rank(op, "rows", rows, 3);
        int count = rows.Dim(1);
        Shape(op, "rows", rows, $"(B={b}, Tn, d={d})", b, count, d);
        if (position < 0 || position > capacity - count)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"{op}: rows {rows.ShapeText} at position {position} do not fit cache {cache.ShapeText}.");
        return (b, count, capacity, d);
    }

    /// <summary>A float tensor read as rows: (N, last) with last ≥ 1.</summary>
    public static (int Rows, int Width) FloatRows(string op, string name, Tensor tensor, Device device)
    {
        Float(op, name, tensor, device);
        if (tensor.Rank < 1) throw new ArgumentException($"{op}: {name} {tensor.ShapeText} is a scalar; rows need rank ≥ 1.");
        int width = tensor.Dim(-1);
        if (width < 1) throw new ArgumentException($"{op}: {name} {tensor.ShapeText} has an empty last dimension.");
        return (checked((int)(tensor.Length / width)), width);
    }

    public static void Float(string op, string name, Tensor tensor, Device device) => Require(op, name, tensor, device, Floats);

    public static void Require(string op, string name, Tensor tensor, Device device, DType[] dtypes)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (tensor.IsDisposed) throw new ObjectDisposedException(name, $"{op}: {name} was disposed.");
        if (tensor.Device != device)
            throw new ArgumentException($"{op}: {name} is on {tensor.Device}, the backend runs on {device}.");
        if (Array.IndexOf(dtypes, tensor.DType) < 0)
            throw new ArgumentException($"{op}: {name} {tensor.ShapeText} must be {string.Join(" or ", dtypes.Select(d => d.ToString().ToLowerInvariant()))}.");
    }

    public static void Rank(string op, string name, Tensor tensor, int rank)
    {
        if (tensor.Rank != rank) throw new ArgumentException($"{op}: {name} {tensor.ShapeText} must have rank {rank}.");
    }

    /// <summary>Rank and every dimension exactly as given; <paramref name="expected"/> says what they mean.</summary>
    public static void Shape(string op, string name, Tensor tensor, string expected, params int[] dims)
    {
        bool same = tensor.Rank == dims.Length;
        for (int i = 0; same && i < dims.Length; i++) same = tensor.Dim(i) == dims[i];
        if (!same) throw new ArgumentException($"{op}: {name} is {tensor.ShapeText}, expected {expected}.");
    }

    public static void SameShape(string op, string name, Tensor tensor, string otherName, Tensor other)
    {
        if (!tensor.Shape.SequenceEqual(other.Shape))
            throw new ArgumentException($"{op}: {name} is {tensor.ShapeText}, it must have the shape of {otherName} {other.ShapeText}.");
    }

    /// <summary>A saved statistic or per-row result: F32 with one element per row.</summary>
    private static void Statistic(string op, string name, Tensor tensor, Device device, int rows)
    {
        Require(op, name, tensor, device, F32Only);
        if (tensor.Length != rows) throw new ArgumentException($"{op}: {name} {tensor.ShapeText} must hold one value per row (N={rows}).");
    }

    /// <summary>A matrix product cannot write over an operand it is still reading.</summary>
    private static void Distinct(string op, string name, Tensor tensor, string otherName, Tensor other)
    {
        if (ReferenceEquals(tensor, other)) throw new ArgumentException($"{op}: {name} and {otherName} are the same tensor {tensor.ShapeText}; the product needs a separate output.");
    }

    private static void SameRows(string op, string name, Tensor tensor, int rows, string otherName, Tensor other, int otherRows)
    {
        if (rows != otherRows)
            throw new ArgumentException($"{op}: {name} {tensor.ShapeText} holds {rows} rows, {otherName} {other.ShapeText} holds {otherRows}.");
    }

    // ---- optimiser ops (IBackend.Optimizer.cs): every tensor F32, distinct, on the backend's device ----

    /// <summary>Squared norm: result (1) F32, input F32 of any shape (a separate tensor); returns the element count.</summary>
    public static long SquaredNorm(string op, Device device, Tensor result, Tensor input)
    {
        Require(op, "input", input, device, F32Only);
        Require(op, "result", result, device, F32Only);
        Shape(op, "result", result, "(1)", 1);
        NotAliased(op, ("result", result), ("input", input));
        return input.Length;
    }

    /// <summary>AdamW update: gradient and both moments F32 shaped like parameter, squaredGradNorm (1) F32, all distinct; the step's scalars in range.</summary>
    public static long AdamWUpdate(string op, Device device, Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, Tensor? squaredGradNorm, AdamWStep step)
    {
        Require(op, "parameter", parameter, device, F32Only);
        foreach (var (name, tensor) in new[] { ("gradient", gradient), ("firstMoment", firstMoment), ("secondMoment", secondMoment) })
        {
            Require(op, name, tensor, device, F32Only);
            SameShape(op, name, tensor, "parameter", parameter);
        }
        if (squaredGradNorm is null)
        {
            NotAliased(op, ("parameter", parameter), ("gradient", gradient), ("firstMoment", firstMoment), ("secondMoment", secondMoment));
        }
        else
        {
            Require(op, "squaredGradNorm", squaredGradNorm, device, F32Only);
            Shape(op, "squaredGradNorm", squaredGradNorm, "(1)", 1);
            NotAliased(op, ("parameter", parameter), ("gradient", gradient), ("firstMoment", firstMoment), ("secondMoment", secondMoment), ("squaredGradNorm", squaredGradNorm));
        }

        if (step.Step < 1) throw new ArgumentOutOfRangeException(nameof(step), step.Step, $"{op}: the step number t counts from 1 (it enters the bias corrections 1 − βᵗ).");
        if (!(float.IsFinite(step.LearningRate) && step.LearningRate >= 0f))
            throw new ArgumentOutOfRangeException(nameof(step), step.LearningRate, $"{op}: the learning rate must be finite and ≥ 0.");
        if (!(step.Beta1 >= 0f && step.Beta1 < 1f)) throw new ArgumentOutOfRangeException(nameof(step), step.Beta1, $"{op}: Beta1 must lie in [0, 1).");
        if (!(step.Beta2 >= 0f && step.Beta2 < 1f)) throw new ArgumentOutOfRangeException(nameof(step), step.Beta2, $"{op}: Beta2 must lie in [0, 1).");
        if (!(float.IsFinite(step.Epsilon) && step.Epsilon >= 0f)) throw new ArgumentOutOfRangeException(nameof(step), step.Epsilon, $"{op}: Epsilon must be finite and ≥ 0.");
        if (!(float.IsFinite(step.WeightDecay) && step.WeightDecay >= 0f))
            throw new ArgumentOutOfRangeException(nameof(step), step.WeightDecay, $"{op}: the weight decay must be finite and ≥ 0.");
        if (float.IsNaN(step.MaxGradNorm)) throw new ArgumentOutOfRangeException(nameof(step), step.MaxGradNorm, $"{op}: MaxGradNorm is NaN (≤ 0 disables clipping).");
        return parameter.Length;
    }

    /// <summary>An in-place op whose operands must be separate tensors: an alias would be read after it was written.</summary>
    private static void NotAliased(string op, params (string Name, Tensor Tensor)[] tensors)
    {
        for (int i = 0; i < tensors.Length; i++)
            for (int j = i + 1; j < tensors.Length; j++)
                if (ReferenceEquals(tensors[i].Tensor, tensors[j].Tensor))
                    throw new ArgumentException($"{op}: {tensors[i].Name} and {tensors[j].Name} are the same tensor {tensors[i].Tensor.ShapeText}; they must be separate.");
    }
}
