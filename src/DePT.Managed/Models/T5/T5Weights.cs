using DePT.Backends;
using DePT.IO;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.T5;

/// <summary>
/// The frozen weights of a <c>T5ForConditionalGeneration</c> on one backend, in the runtime dtype. Loading checks
/// every tensor name and shape against the config before anything is allocated, and disposes what it made if it
/// fails part-way. <c>encoder/decoder.embed_tokens.weight</c> may be absent (tied to <c>shared.weight</c>); the
/// relative-position bias lives in block 0 of each stack and serves all its blocks; a gated feed-forward block's
/// <c>wi_0</c> and <c>wi_1</c> are stacked into one (2F, d) weight.
/// </summary>
public sealed class T5Weights : IDisposable
{
    private static readonly CheckpointLayout<T5Config, T5Weights> Layout =
        new(RequiredShapes, OptionalShapes, Describe, static c => c.TieWordEmbeddings, SharedName, LmHeadName, Build);

    private readonly OwnedTensors _owned;

    private T5Weights(T5Config config, DType dtype, OwnedTensors owned, Tensor shared, Tensor lmHead, T5StackWeights encoder, T5StackWeights decoder)
    {
        Config = config;
        DType = dtype;
        _owned = owned;
        Shared = shared;
        LmHead = lmHead;
        Encoder = encoder;
        Decoder = decoder;
    }

    /// <summary>The config the weights were built for.</summary>
    public T5Config Config { get; }

    /// <summary>The runtime dtype of every weight.</summary>
    public DType DType { get; }

    /// <summary><c>shared.weight</c> (V, d): the token embeddings of both stacks, and the LM head when tied.</summary>
    public Tensor Shared { get; }

    /// <summary>Whether the LM head is its own matrix rather than <see cref="Shared"/>.</summary>
    public bool HasSeparateLmHead => !ReferenceEquals(LmHead, Shared);

    /// <summary>Bytes of all weight tensors.</summary>
    public long ByteSize => _owned.ByteSize;

    internal Tensor LmHead { get; }

    internal T5StackWeights Encoder { get; }

    internal T5StackWeights Decoder { get; }

    /// <summary>Reads <c>config.json</c> and the safetensors weights of a Hugging Face T5 folder onto <paramref name="backend"/>.</summary>
    /// <exception cref="ModelConfigException">The config is invalid or not a T5 config.</exception>
    /// <exception cref="WeightsMismatchException">Tensors are missing or unexpected.</exception>
    /// <exception cref="InvalidDataException">A tensor's shape does not fit the config.</exception>
    public static T5Weights Load(IBackend backend, string folder, DType dtype) => Layout.Load(backend, folder, dtype);

    /// <summary>Uploads <paramref name="weights"/> after checking them against <paramref name="config"/>.</summary>
    /// <inheritdoc cref="Load" path="/exception"/>
    public static T5Weights FromModelWeights(IBackend backend, T5Config config, ModelWeights weights, DType dtype) =>
        Layout.FromModelWeights(backend, config, weights, dtype);

    /// <summary>
    /// A model of <paramref name="config"/>'s shape with random weights drawn on the device (<see cref="DeviceRandom"/>):
    /// for speed and memory tests at full size.
    /// </summary>
    public static T5Weights CreateRandom(IBackend backend, T5Config config, DType dtype, ulong seed) =>
        Layout.CreateRandom(backend, config, dtype, seed);

    /// <summary>The tensors a checkpoint of <paramref name="config"/> must hold, with their shapes.</summary>
    public static IReadOnlyDictionary<string, int[]> RequiredShapes(T5Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int d = config.ModelDim, inner = config.NumHeads * config.HeadDim, ff = config.FeedForwardDim;
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal) { [SharedName] = [config.VocabSize, d] };
        if (!config.TieWordEmbeddings) shapes[LmHeadName] = [config.VocabSize, d];
        foreach (var (stack, layers) in new[] { ("encoder", config.NumLayers), ("decoder", config.NumDecoderLayers) })
        {
            shapes[$"{stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight"] = [config.RelativeAttentionNumBuckets, config.NumHeads];
            shapes[$"{stack}.final_layer_norm.weight"] = [d];
            for (int i = 0; i < layers; i++)
            {
                string block = $"{stack}.block.{i}.layer.";
                AddAttention(shapes, block + "0.SelfAttention.", d, inner);
                shapes[block + "0.layer_norm.weight"] = [d];
                int ffLayer = 1;
                if (stack == "decoder")
                {
                    AddAttention(shapes, block + "1.EncDecAttention.", d, inner);
                    shapes[block + "1.layer_norm.weight"] = [d];
                    ffLayer = 2;
                }
                string dense = $"{block}{ffLayer}.DenseReluDense.";
                if (config.IsGatedFeedForward)
                {
                    shapes[dense + "wi_0.weight"] = [ff, d];
                    shapes[dense + "wi_1.weight"] = [ff, d];
                }
                else
                {
                    shapes[dense + "wi.weight"] = [ff, d];
                }
                shapes[dense + "wo.weight"] = [d, ff];
                shapes[$"{block}{ffLayer}.layer_norm.weight"] = [d];
            }
        }
        return shapes;
    }

    /// <summary>Tensors a checkpoint may also hold: the tied aliases of <c>shared.weight</c>.</summary>
    public static IReadOnlyDictionary<string, int[]> OptionalShapes(T5Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int[] embedding = [config.VocabSize, config.ModelDim];
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal)
        {
            ["encoder.embed_tokens.weight"] = embedding,
            ["decoder.embed_tokens.weight"] = embedding,
        };
        if (config.TieWordEmbeddings) shapes[LmHeadName] = embedding;
        return shapes;
    }

    /// <inheritdoc />
    public void Dispose() => _owned.Dispose();

    private const string SharedName = "shared.weight", LmHeadName = "lm_head.weight";

    private static T5Weights Build(T5Config config, WeightFactory factory, bool separateLmHead)
    {
        try
        {
            var shared = factory.Create(SharedName, WeightKind.Embedding, config.VocabSize, config.ModelDim);
            var lmHead = separateLmHead ? factory.Create(LmHeadName, WeightKind.Linear, config.VocabSize, config.ModelDim) : shared;
            var encoder = BuildStack(config, factory, "encoder", config.NumLayers, decoder: false);
            var decoder = BuildStack(config, factory, "decoder", config.NumDecoderLayers, decoder: true);
            return new T5Weights(config, factory.DType, factory.Owned, shared, lmHead, encoder, decoder);
        }
        catch
        {
            factory.Owned.Dispose();
            throw;
        }
    }

    private static T5StackWeights BuildStack(T5Config config, WeightFactory f, string stack, int layers, bool decoder)
    {
        int d = config.ModelDim, inner = config.NumHeads * config.HeadDim, ff = config.FeedForwardDim;
        var bias = f.Create($"{stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight", WeightKind.PositionBiasTable,
            config.RelativeAttentionNumBuckets, config.NumHeads);
        var blocks = new T5BlockWeights[layers];
        for (int i = 0; i < layers; i++)
        {
            string block = $"{stack}.block.{i}.layer.";
            var selfAttention = Attention(f, block + "0.SelfAttention.", d, inner);
            var selfNorm = Norm(f, block + "0.layer_norm.weight", d);
            AttentionWeights? cross = null;
            NormWeights? crossNorm = null;
            int ffLayer = 1;
            if (decoder)
            {
                cross = Attention(f, block + "1.EncDecAttention.", d, inner);
                crossNorm = Norm(f, block + "1.layer_norm.weight", d);
                ffLayer = 2;
            }
            string dense = $"{block}{ffLayer}.DenseReluDense.";
            var wi = config.IsGatedFeedForward
                ? f.CreateStacked(dense + "wi_0.weight", dense + "wi_1.weight", WeightKind.Linear, ff, d)
                : f.Create(dense + "wi.weight", WeightKind.Linear, ff, d);
            var wo = f.Create(dense + "wo.weight", WeightKind.Linear, d, ff);
            var feedForward = new FeedForwardWeights(new LinearWeights(wi), new LinearWeights(wo), config.FeedForwardActivation, config.IsGatedFeedForward);
            blocks[i] = new T5BlockWeights(selfNorm, selfAttention, crossNorm, cross, Norm(f, $"{block}{ffLayer}.layer_norm.weight", d), feedForward);
        }
        return new T5StackWeights(blocks, bias, Norm(f, $"{stack}.final_layer_norm.weight", d));
    }

    private static AttentionWeights Attention(WeightFactory f, string prefix, int d, int inner) => new(
        new LinearWeights(f.Create(prefix + "q.weight", WeightKind.Linear, inner, d)),
        new LinearWeights(f.Create(prefix + "k.weight", WeightKind.Linear, inner, d)),
        new LinearWeights(f.Create(prefix + "v.weight", WeightKind.Linear, inner, d)),
        new LinearWeights(f.Create(prefix + "o.weight", WeightKind.Linear, d, inner)));

    private static NormWeights Norm(WeightFactory f, string name, int d) => new(f.Create(name, WeightKind.NormGain, d));

    private static void AddAttention(Dictionary<string, int[]> shapes, string prefix, int d, int inner)
    {
        shapes[prefix + "q.weight"] = [inner, d];
        shapes[prefix + "k.weight"] = [inner, d];
        shapes[prefix + "v.weight"] = [inner, d];
        shapes[prefix + "o.weight"] = [d, inner];
    }

    private static string Describe(T5Config c) =>
        $"'{c.SourcePath}': d_model={c.ModelDim}, num_heads={c.NumHeads}, d_kv={c.HeadDim}, d_ff={c.FeedForwardDim}, " +
        $"num_layers={c.NumLayers}, num_decoder_layers={c.NumDecoderLayers}, vocab_size={c.VocabSize}, " +
        $"relative_attention_num_buckets={c.RelativeAttentionNumBuckets}, feed_forward_proj={c.FeedForwardProj}";
}
