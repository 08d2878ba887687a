using DePT.Backends;
using DePT.IO;
using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>
/// How the weights of a model family with an LM head (T5, LLaMA) are read: the tensors its config asks for and how its
/// weights are built from a <see cref="WeightFactory"/>. Holds the loading steps the families share — read
/// <c>config.json</c> and the safetensors, check every tensor name and shape before anything is allocated, upload — and
/// the rule for the LM head: its own matrix when the config unties it, or when the checkpoint stores one that differs
/// from the embeddings (transformers 5.x unties a stored lm_head that differs even when the config says tied).
/// </summary>
/// <param name="requiredShapes">The tensors a checkpoint of a config must hold.</param>
/// <param name="optionalShapes">The tensors it may also hold.</param>
/// <param name="describe">A config's file and shape, for the mismatch messages.</param>
/// <param name="tieWordEmbeddings">Whether a config ties the LM head to the embeddings.</param>
/// <param name="embeddingName">The token embeddings' tensor.</param>
/// <param name="lmHeadName">The LM head's tensor.</param>
/// <param name="build">Builds the weights from a factory, with or without a separate LM head.</param>
internal sealed class CheckpointLayout<TConfig, TWeights>(
    Func<TConfig, IReadOnlyDictionary<string, int[]>> requiredShapes,
    Func<TConfig, IReadOnlyDictionary<string, int[]>> optionalShapes,
    Func<TConfig, string> describe,
    Func<TConfig, bool> tieWordEmbeddings,
    string embeddingName,
    string lmHeadName,
    Func<TConfig, WeightFactory, bool, TWeights> build) where TConfig : ModelConfig
{
    /// <summary>Reads <c>config.json</c> and the safetensors weights (one file or a sharded index) of a Hugging Face folder onto <paramref name="backend"/>.</summary>
    public TWeights Load(IBackend backend, string folder, DType dtype)
    {
        var config = ModelConfig.Load<TConfig>(folder);
        using var weights = ModelWeights.Open(folder);
        return FromModelWeights(backend, config, weights, dtype);
    }

    /// <summary>Uploads <paramref name="weights"/> after checking them against <paramref name="config"/>.</summary>
    public TWeights FromModelWeights(IBackend backend, TConfig config, ModelWeights weights, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        ModelInputs.RequireRuntimeDType(dtype);
        var source = new SafetensorsWeightSource(weights);
        source.Check(requiredShapes(config), optionalShapes(config), isForeign: null, describe(config));
        bool separateLmHead = !tieWordEmbeddings(config) || (source.Contains(lmHeadName) && !source.SameValues(lmHeadName, embeddingName));
        return build(config, new SourceWeightFactory(backend, dtype, source), separateLmHead);
    }

    /// <summary>Weights of <paramref name="config"/>'s shape drawn on the device (<see cref="DeviceRandom"/>).</summary>
    public TWeights CreateRandom(IBackend backend, TConfig config, DType dtype, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(config);
        ModelInputs.RequireRuntimeDType(dtype);
        return build(config, new RandomWeightFactory(backend, dtype, seed), !tieWordEmbeddings(config));
    }
}
