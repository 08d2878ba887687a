using DePT.Backends;
using DePT.IO;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.Llama;

/// <summary>
/// The frozen weights of a <c>LlamaForCausalLM</c>, <c>MistralForCausalLM</c> or <c>Qwen2ForCausalLM</c> on one
/// backend, in the runtime dtype, plus the rotary inverse frequencies computed from the config. Loading checks every
/// tensor name and shape against the config before anything is allocated (one file or shards), and disposes what it
/// made if it fails part-way. <c>lm_head.weight</c> may be absent when the config ties it to the embeddings; old
/// checkpoints' <c>rotary_emb.inv_freq</c> buffers are accepted and ignored (the config decides the frequencies).
/// </summary>
public sealed class LlamaWeights : IDisposable
{
    private const string EmbeddingName = "model.embed_tokens.weight", FinalNormName = "model.norm.weight", LmHeadName = "lm_head.weight";

    private static readonly CheckpointLayout<LlamaConfig, LlamaWeights> Layout =
        new(RequiredShapes, OptionalShapes, Describe, static c => c.TieWordEmbeddings, EmbeddingName, LmHeadName, Build);

    private readonly OwnedTensors _owned;

    private LlamaWeights(LlamaConfig config, DType dtype, OwnedTensors owned, Tensor embeddings, Tensor lmHead, LlamaLayerWeights[] layers,
        NormWeights finalNorm, Tensor inverseFrequencies)
    {
        Config = config;
        DType = dtype;
        _owned = owned;
        Embeddings = embeddings;
        LmHead = lmHead;
        Layers = layers;
        FinalNorm = finalNorm;
        InverseFrequencies = inverseFrequencies;
    }

    /// <summary>The config the weights were built for.</summary>
    public LlamaConfig Config { get; }

    /// <summary>The runtime dtype of every weight (the inverse frequencies are F32).</summary>
    public DType DType { get; }

    /// <summary><c>model.embed_tokens.weight</c> (V, d), and the LM head when tied.</summary>
    public Tensor Embeddings { get; }

    /// <summary>Whether the LM head is its own matrix rather than <see cref="Embeddings"/>.</summary>
    public bool HasSeparateLmHead => !ReferenceEquals(LmHead, Embeddings);

    /// <summary>Bytes of all weight tensors.</summary>
    public long ByteSize => _owned.ByteSize;

    internal Tensor LmHead { get; }

    internal LlamaLayerWeights[] Layers { get; }

    internal NormWeights FinalNorm { get; }

    /// <summary>(dh/2) F32: the rotary inverse frequencies after the config's scaling.</summary>
    internal Tensor InverseFrequencies { get; }

    /// <summary>Reads <c>config.json</c> and the safetensors weights (one file or a sharded index) of a Hugging Face folder onto <paramref name="backend"/>.</summary>
    /// <exception cref="ModelConfigException">The config is invalid or not a LLaMA-family config.</exception>
    /// <exception cref="WeightsMismatchException">Tensors are missing or unexpected.</exception>
    /// <exception cref="InvalidDataException">A tensor's shape does not fit the config.</exception>
    public static LlamaWeights Load(IBackend backend, string folder, DType dtype) => Layout.Load(backend, folder, dtype);

    /// <summary>Uploads <paramref name="weights"/> after checking them against <paramref name="config"/>.</summary>
    /// <inheritdoc cref="Load" path="/exception"/>
    public static LlamaWeights FromModelWeights(IBackend backend, LlamaConfig config, ModelWeights weights, DType dtype) =>
        Layout.FromModelWeights(backend, config, weights, dtype);

    /// <summary>
    /// A model of <paramref name="config"/>'s shape with random weights drawn on the device (<see cref="DeviceRandom"/>):
    /// for speed and memory measurements at full size (Llama-2-7B, Llama-3-8B shapes).
    /// </summary>
    public static LlamaWeights CreateRandom(IBackend backend, LlamaConfig config, DType dtype, ulong seed) =>
        Layout.CreateRandom(backend, config, dtype, seed);

    /// <summary>The tensors a checkpoint of <paramref name="config"/> must hold, with their shapes.</summary>
    public static IReadOnlyDictionary<string, int[]> RequiredShapes(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int d = config.HiddenSize, q = config.QueryWidth, kv = config.KeyValueWidth, ff = config.IntermediateSize;
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal)
        {
            [EmbeddingName] = [config.VocabSize, d],
            [FinalNormName] = [d],
        };
        if (!config.TieWordEmbeddings) shapes[LmHeadName] = [config.VocabSize, d];
        for (int i = 0; i < config.NumLayers; i++)
        {
            string layer = $"model.layers.{i}.";
            shapes[layer + "input_layernorm.weight"] = [d];
            shapes[layer + "post_attention_layernorm.weight"] = [d];
            foreach (var (name, rows, columns) in new[] { ("q_proj", q, d), ("k_proj", kv, d), ("v_proj", kv, d), ("o_proj", d, q) })
            {
                shapes[$"{layer}self_attn.{name}.weight"] = [rows, columns];
                if (name == "o_proj" ? config.HasOutputBias : config.HasQueryKeyValueBias) shapes[$"{layer}self_attn.{name}.bias"] = [rows];
            }
            shapes[layer + "mlp.gate_proj.weight"] = [ff, d];
            shapes[layer + "mlp.up_proj.weight"] = [ff, d];
            shapes[layer + "mlp.down_proj.weight"] = [d, ff];
        }
        return shapes;
    }

    /// <summary>Tensors a checkpoint may also hold: the tied LM head, and old checkpoints' rotary buffers.</summary>
    public static IReadOnlyDictionary<string, int[]> OptionalShapes(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (config.TieWordEmbeddings) shapes[LmHeadName] = [config.VocabSize, config.HiddenSize];
        for (int i = 0; i < config.NumLayers; i++) shapes[$"model.layers.{i}.self_attn.rotary_emb.inv_freq"] = [config.HeadDim / 2];
        return shapes;
    }

    /// <inheritdoc />
    public void Dispose() => _owned.Dispose();

    private static LlamaWeights Build(LlamaConfig config, WeightFactory factory, bool separateLmHead)
    {
        try
        {
            int d = config.HiddenSize, q = config.QueryWidth, kv = config.KeyValueWidth, ff = config.IntermediateSize;
            var embeddings = factory.Create(EmbeddingName, WeightKind.Embedding, config.VocabSize, d);
            var layers = new LlamaLayerWeights[config.NumLayers];
            for (int i = 0; i < layers.Length; i++)
            {
                string layer = $"model.layers.{i}.";
                var attention = new AttentionWeights(
                    Linear(factory, layer + "self_attn.q_proj", q, d, config.HasQueryKeyValueBias),
                    Linear(factory, layer + "self_attn.k_proj", kv, d, config.HasQueryKeyValueBias),
                    Linear(factory, layer + "self_attn.v_proj", kv, d, config.HasQueryKeyValueBias),
                    Linear(factory, layer + "self_attn.o_proj", d, q, config.HasOutputBias));
                var gateUp = factory.CreateStacked(layer + "mlp.gate_proj.weight", layer + "mlp.up_proj.weight", WeightKind.Linear, ff, d);
                var down = factory.Create(layer + "mlp.down_proj.weight", WeightKind.Linear, d, ff);
                layers[i] = new LlamaLayerWeights(
                    Norm(factory, layer + "input_layernorm.weight", d),
                    attention,
                    Norm(factory, layer + "post_attention_layernorm.weight", d),
                    new FeedForwardWeights(new LinearWeights(gateUp), new LinearWeights(down), config.HiddenActivation, Gated: true));
            }
            var finalNorm = Norm(factory, FinalNormName, d);
            var lmHead = separateLmHead ? factory.Create(LmHeadName, WeightKind.Linear, config.VocabSize, d) : embeddings;
            var inverseFrequencies = factory.Owned.Add(factory.Backend.Allocate(DType.F32, config.HeadDim / 2));
            inverseFrequencies.CopyFrom(config.Rope.InverseFrequencies(config.HeadDim));
            return new LlamaWeights(config, factory.DType, factory.Owned, embeddings, lmHead, layers, finalNorm, inverseFrequencies);
        }
        catch
        {
            factory.Owned.Dispose();
            throw;
        }
    }

    private static LinearWeights Linear(WeightFactory f, string prefix, int rows, int columns, bool bias) => new(
        f.Create(prefix + ".weight", WeightKind.Linear, rows, columns),
        bias ? f.Create(prefix + ".bias", WeightKind.LinearBias, rows) : null);

    private static NormWeights Norm(WeightFactory f, string name, int d) => new(f.Create(name, WeightKind.NormGain, d));

    private static string Describe(LlamaConfig c) =>
        $"'{c.SourcePath}': model_type={c.ModelType}, hidden_size={c.HiddenSize}, intermediate_size={c.IntermediateSize}, " +
        $"num_hidden_layers={c.NumLayers}, num_attention_heads={c.NumHeads}, num_key_value_heads={c.NumKeyValueHeads}, head_dim={c.HeadDim}, " +
        $"vocab_size={c.VocabSize}, tie_word_embeddings={c.TieWordEmbeddings}";
}
