using DePT.Backends;
using DePT.IO;
using DePT.Models.MiniLm;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.Bert;

/// <summary>
/// The frozen weights of a Hugging Face <c>BertModel</c> on one backend, in the runtime dtype: embeddings (word,
/// position, token type, LayerNorm), post-norm layers with biases, and the optional pooler. Names may carry a
/// <c>bert.</c> prefix (a task model's checkpoint), in which case tensors outside it (the task head) are ignored.
/// Every name and shape is checked against the config before anything is allocated; a failure part-way disposes
/// what was made.
/// </summary>
public sealed class BertWeights : IDisposable
{
    private const string TaskModelPrefix = "bert.";
    private readonly OwnedTensors _owned;

    private BertWeights(BertConfig config, DType dtype, OwnedTensors owned, Tensor word, Tensor position, Tensor tokenType,
        NormWeights embeddingNorm, BertLayerWeights[] layers, LinearWeights? pooler)
    {
        Config = config;
        DType = dtype;
        _owned = owned;
        WordEmbeddings = word;
        PositionEmbeddings = position;
        TokenTypeEmbeddings = tokenType;
        EmbeddingNorm = embeddingNorm;
        Layers = layers;
        Pooler = pooler;
    }

    /// <summary>The config the weights were built for.</summary>
    public BertConfig Config { get; }

    /// <summary>The runtime dtype of every weight.</summary>
    public DType DType { get; }

    /// <summary><c>embeddings.word_embeddings.weight</c> (V, d): the matrix the DePT input reads (scale 1).</summary>
    public Tensor WordEmbeddings { get; }

    /// <summary>Whether the pooler (dense + tanh on the first position) is present.</summary>
    public bool HasPooler => Pooler is not null;

    /// <summary>Bytes of all weight tensors.</summary>
    public long ByteSize => _owned.ByteSize;

    internal Tensor PositionEmbeddings { get; }

    internal Tensor TokenTypeEmbeddings { get; }

    internal NormWeights EmbeddingNorm { get; }

    internal BertLayerWeights[] Layers { get; }

    internal LinearWeights? Pooler { get; }

    /// <summary>Reads <c>config.json</c> and the safetensors weights of a Hugging Face BERT folder onto <paramref name="backend"/>.</summary>
    /// <exception cref="ModelConfigException">The config is invalid or not a BERT config.</exception>
    /// <exception cref="WeightsMismatchException">Tensors are missing or unexpected.</exception>
    /// <exception cref="InvalidDataException">A tensor's shape does not fit the config.</exception>
    public static BertWeights Load(IBackend backend, string folder, DType dtype)
    {
        var config = ModelConfig.Load<BertConfig>(folder);
        using var weights = ModelWeights.Open(folder);
        return FromModelWeights(backend, config, weights, dtype);
    }

    /// <summary>Uploads <paramref name="weights"/> after checking them against <paramref name="config"/>.</summary>
    /// <inheritdoc cref="Load" path="/exception"/>
    public static BertWeights FromModelWeights(IBackend backend, BertConfig config, ModelWeights weights, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(weights);
        string prefix = weights.Contains(TaskModelPrefix + WordEmbeddingsName) ? TaskModelPrefix : "";
        return FromSource(backend, config, new SafetensorsWeightSource(weights), dtype, prefix);
    }

    /// <summary>all-MiniLM-L6-v2 (or another BERT exported to ONNX) from its mapped weights.</summary>
    public static BertWeights FromMiniLm(IBackend backend, MiniLmWeights weights, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return FromSource(backend, weights.Config.ToBertConfig(), new MiniLmWeightSource(weights, "MiniLM ONNX weights"), dtype, "");
    }

    /// <summary>The tensors a BertModel checkpoint of <paramref name="config"/> must hold (without prefix), with their shapes.</summary>
    public static IReadOnlyDictionary<string, int[]> RequiredShapes(BertConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int d = config.HiddenSize, inner = config.IntermediateSize;
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal)
        {
            [WordEmbeddingsName] = [config.VocabSize, d],
            ["embeddings.position_embeddings.weight"] = [config.MaxPositionEmbeddings, d],
            ["embeddings.token_type_embeddings.weight"] = [config.TypeVocabSize, d],
            ["embeddings.LayerNorm.weight"] = [d],
            ["embeddings.LayerNorm.bias"] = [d],
        };
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            string layer = $"encoder.layer.{i}.";
            foreach (string projection in new[] { "query", "key", "value" })
            {
                shapes[$"{layer}attention.self.{projection}.weight"] = [d, d];
                shapes[$"{layer}attention.self.{projection}.bias"] = [d];
            }
            shapes[layer + "attention.output.dense.weight"] = [d, d];
            shapes[layer + "attention.output.dense.bias"] = [d];
            shapes[layer + "attention.output.LayerNorm.weight"] = [d];
            shapes[layer + "attention.output.LayerNorm.bias"] = [d];
            shapes[layer + "intermediate.dense.weight"] = [inner, d];
            shapes[layer + "intermediate.dense.bias"] = [inner];
            shapes[layer + "output.dense.weight"] = [d, inner];
            shapes[layer + "output.dense.bias"] = [d];
            shapes[layer + "output.LayerNorm.weight"] = [d];
            shapes[layer + "output.LayerNorm.bias"] = [d];
        }
        return shapes;
    }

    /// <summary>Tensors a checkpoint may hold besides: the pooler (both or neither) and the old position-ids buffer.</summary>
    public static IReadOnlyDictionary<string, int[]> OptionalShapes(BertConfig config) =>
        new Dictionary<string, int[]>(PoolerShapes(config), StringComparer.Ordinal)
        {
            ["embeddings.position_ids"] = [1, config.MaxPositionEmbeddings],
        };

    /// <summary>The pooler's dense weight and bias.</summary>
    public static IReadOnlyDictionary<string, int[]> PoolerShapes(BertConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new Dictionary<string, int[]>(StringComparer.Ordinal)
        {
            [PoolerWeightName] = [config.HiddenSize, config.HiddenSize],
            [PoolerBiasName] = [config.HiddenSize],
        };
    }

    /// <inheritdoc />
    public void Dispose() => _owned.Dispose();

    private const string WordEmbeddingsName = "embeddings.word_embeddings.weight";
    private const string PoolerWeightName = "pooler.dense.weight", PoolerBiasName = "pooler.dense.bias";

    private static BertWeights FromSource(IBackend backend, BertConfig config, WeightSource source, DType dtype, string prefix)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(config);
        ModelInputs.RequireRuntimeDType(dtype);
        source.Check(Prefixed(RequiredShapes(config), prefix), Prefixed(OptionalShapes(config), prefix),
            prefix.Length == 0 ? null : name => !name.StartsWith(prefix, StringComparison.Ordinal), Describe(config));
        bool hasPoolerWeight = source.Contains(prefix + PoolerWeightName), hasPoolerBias = source.Contains(prefix + PoolerBiasName);
        if (hasPoolerWeight != hasPoolerBias)
            throw new WeightsMismatchException(source.Origin, [prefix + (hasPoolerWeight ? PoolerBiasName : PoolerWeightName)], []);

        var f = new SourceWeightFactory(backend, dtype, source);
        try
        {
            int d = config.HiddenSize, inner = config.IntermediateSize;
            Tensor Create(string name, WeightKind kind, params int[] shape) => f.Create(prefix + name, kind, shape);
            LinearWeights Linear(string name, int outFeatures, int inFeatures) =>
                new(Create(name + ".weight", WeightKind.Linear, outFeatures, inFeatures), Create(name + ".bias", WeightKind.LinearBias, outFeatures));
            NormWeights Norm(string name) => new(Create(name + ".weight", WeightKind.NormGain, d), Create(name + ".bias", WeightKind.NormBias, d));

            var word = Create(WordEmbeddingsName, WeightKind.Embedding, config.VocabSize, d);
            var position = Create("embeddings.position_embeddings.weight", WeightKind.Embedding, config.MaxPositionEmbeddings, d);
            var tokenType = Create("embeddings.token_type_embeddings.weight", WeightKind.Embedding, config.TypeVocabSize, d);
            var embeddingNorm = Norm("embeddings.LayerNorm");
            var layers = new BertLayerWeights[config.NumHiddenLayers];
            for (int i = 0; i < layers.Length; i++)
            {
                string layer = $"encoder.layer.{i}.";
                var attention = new AttentionWeights(Linear(layer + "attention.self.query", d, d), Linear(layer + "attention.self.key", d, d),
                    Linear(layer + "attention.self.value", d, d), Linear(layer + "attention.output.dense", d, d));
                var attentionNorm = Norm(layer + "attention.output.LayerNorm");
                var feedForward = new FeedForwardWeights(Linear(layer + "intermediate.dense", inner, d), Linear(layer + "output.dense", d, inner),
                    config.HiddenAct, Gated: false);
                layers[i] = new BertLayerWeights(attention, attentionNorm, feedForward, Norm(layer + "output.LayerNorm"));
            }
            var pooler = hasPoolerWeight ? Linear("pooler.dense", d, d) : null;
            return new BertWeights(config, dtype, f.Owned, word, position, tokenType, embeddingNorm, layers, pooler);
        }
        catch
        {
            f.Owned.Dispose();
            throw;
        }
    }

    private static Dictionary<string, int[]> Prefixed(IReadOnlyDictionary<string, int[]> shapes, string prefix) =>
        shapes.ToDictionary(pair => prefix + pair.Key, pair => pair.Value, StringComparer.Ordinal);

    private static string Describe(BertConfig c) =>
        $"'{c.SourcePath}': hidden_size={c.HiddenSize}, num_hidden_layers={c.NumHiddenLayers}, num_attention_heads={c.NumAttentionHeads}, " +
        $"intermediate_size={c.IntermediateSize}, vocab_size={c.VocabSize}, max_position_embeddings={c.MaxPositionEmbeddings}, type_vocab_size={c.TypeVocabSize}";
}
