using System.Security.Cryptography;
using DePT.IO;

namespace DePT.Checkpoints;

/// <summary>
/// Which frozen model a prompt was trained on: the architecture, the sizes, and the SHA-256 of the word-embedding
/// tensor's bytes as stored in the weights file (lowercase hex). The embedding hash is what tells two models of the
/// same shape apart (t5-base from flan-t5-base, a fine-tuned copy, a re-initialised test model); a prompt lives in
/// that embedding space, so its bytes are the identity that matters. It does not depend on sharding, on other
/// tensors, or on config fields that do not change the weights, and it is computed from the mapped file without
/// loading the model.
/// </summary>
/// <param name="ModelType">The config's <c>model_type</c>, e.g. "t5".</param>
/// <param name="DModel">Width d.</param>
/// <param name="VocabSize">Rows of the word-embedding table.</param>
/// <param name="LayerCount">Encoder layers (the config's <c>num_layers</c> / <c>num_hidden_layers</c>).</param>
/// <param name="EmbeddingSha256">SHA-256 of the word-embedding tensor's stored bytes, 64 lowercase hex digits.</param>
public sealed record ModelIdentity(string ModelType, int DModel, int VocabSize, int LayerCount, string EmbeddingSha256)
{
    /// <summary>The identity of a model whose word-embedding tensor holds <paramref name="embeddingBytes"/> as stored.</summary>
    public static ModelIdentity FromEmbeddingBytes(string modelType, int dModel, int vocabSize, int layerCount, ReadOnlySpan<byte> embeddingBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelType);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dModel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        ArgumentOutOfRangeException.ThrowIfNegative(layerCount);
        return new ModelIdentity(modelType, dModel, vocabSize, layerCount, Convert.ToHexStringLower(SHA256.HashData(embeddingBytes)));
    }

    /// <summary>The identity of a model from its weights file: the embedding tensor (V, d) named <paramref name="embeddingTensorName"/> gives V, d and the hash.</summary>
    /// <exception cref="ArgumentException">The tensor is not a matrix.</exception>
    public static ModelIdentity FromSafetensors(string modelType, int layerCount, SafetensorsFile weights, string embeddingTensorName)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var info = weights.GetInfo(embeddingTensorName);
        if (info.Shape.Length != 2)
            throw new ArgumentException($"'{weights.FilePath}': the word embeddings '{embeddingTensorName}' are [{string.Join(", ", info.Shape)}], not a matrix (V, d).", nameof(embeddingTensorName));
        return FromEmbeddingBytes(modelType, checked((int)info.Shape[1]), checked((int)info.Shape[0]), layerCount, weights.GetBytes(embeddingTensorName));
    }

    /// <summary>E.g. "t5 (d_model=768, vocab=32128, layers=12, word embeddings sha256=1a2b…)".</summary>
    public override string ToString() =>
        $"{ModelType} (d_model={DModel}, vocab={VocabSize}, layers={LayerCount}, word embeddings sha256={EmbeddingSha256})";
}
