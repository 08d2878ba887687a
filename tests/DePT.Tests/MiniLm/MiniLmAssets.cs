using DePT.Models.MiniLm;
using DePT.Tokenizers;

namespace DePT.Tests.MiniLm;

/// <summary>The real all-MiniLM-L6-v2 pieces, read once per test run (the model is 90 MB).</summary>
internal static class MiniLmAssets
{
    private static readonly Lazy<MiniLmPackage> LazyPackage = new(() => MiniLmPackage.Load());
    private static readonly Lazy<OnnxModel> LazyModel = new(() => Package.ReadModel());
    private static readonly Lazy<MiniLmWeights> LazyWeights = new(() => MiniLmWeights.FromOnnx(Model, MiniLmConfig.AllMiniLmL6V2));
    private static readonly Lazy<WordPieceTokenizer> LazyTokenizer = new(() =>
    {
        using var vocabulary = Package.OpenVocabulary();
        return WordPieceTokenizer.FromVocabulary(vocabulary);
    });

    public static MiniLmPackage Package => LazyPackage.Value;
    public static OnnxModel Model => LazyModel.Value;
    public static MiniLmWeights Weights => LazyWeights.Value;
    public static WordPieceTokenizer Tokenizer => LazyTokenizer.Value;
}
