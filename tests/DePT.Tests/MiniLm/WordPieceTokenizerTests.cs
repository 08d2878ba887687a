using System.Text;
using DePT.Tokenizers;

namespace DePT.Tests.MiniLm;

public class WordPieceTokenizerTests
{
    private static WordPieceTokenizer Tokenizer => MiniLmAssets.Tokenizer;

    [Test]
    public void Encode_ModelCardSentence_GivesTheHuggingFaceIds()
    {
        Assert.That(Tokenizer.Encode("This is an example sentence", 128), Is.EqualTo(new[] { 101, 2023, 2003, 2019, 2742, 6251, 102 }));
        Assert.That((Tokenizer.ClassificationTokenId, Tokenizer.SeparatorTokenId, Tokenizer.PaddingTokenId, Tokenizer.UnknownTokenId),
            Is.EqualTo((101, 102, 0, 100)));
    }

    [Test]
    public void Encode_LowerCasesStripsAccentsAndSplitsPunctuationAndSubwords()
    {
        int[] plain = Tokenizer.Encode("the cafe is tokenization!", 64);

        Assert.That(Tokenizer.Encode("THE Café IS TOKENIZATION!", 64), Is.EqualTo(plain));
        // "tokenization" is not one vocabulary entry: WordPiece splits it into "token" + "##ization".
        Assert.That(plain, Has.Length.GreaterThan(2 + 5));
    }

    [Test]
    public void Encode_WithoutAccentStripping_KeepsAccentedWordsApart()
    {
        using var vocabulary = MiniLmAssets.Package.OpenVocabulary();
        WordPieceTokenizer keepAccents = WordPieceTokenizer.FromVocabulary(vocabulary, lowerCase: true, stripAccents: false);

        Assert.That(WordPieceTokenizer.AccentStrippingAvailable, Is.True, "the test app runs with ICU, not invariant globalization");
        Assert.That(keepAccents.Encode("cafe", 8), Is.Not.EqualTo(keepAccents.Encode("café", 8)));
        Assert.That(Tokenizer.Encode("cafe", 8), Is.EqualTo(Tokenizer.Encode("café", 8)));
    }

    [Test]
    public void Encode_LongText_KeepsTheFirstPiecesAndEndsWithSep()
    {
        int[] full = Tokenizer.Encode("one two three four five six seven", 64);

        int[] truncated = Tokenizer.Encode("one two three four five six seven", 5);

        Assert.That(full, Has.Length.EqualTo(9));
        Assert.That(truncated, Is.EqualTo(new[] { full[0], full[1], full[2], full[3], 102 }));
        Assert.That(Tokenizer.Encode("anything", 2), Is.EqualTo(new[] { 101, 102 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Encode("anything", 1));
    }

    [Test]
    public void EncodeBatch_RightPadsToTheLongestTextWithAMask()
    {
        string[] texts = ["This is an example sentence", "hello", "Each sentence is converted"];

        TokenBatch batch = Tokenizer.EncodeBatch(texts, 128);

        Assert.That(batch.BatchSize, Is.EqualTo(3));
        Assert.That(batch.SequenceLength, Is.EqualTo(7));
        for (int b = 0; b < texts.Length; b++)
        {
            int[] alone = Tokenizer.Encode(texts[b], 128);
            Assert.That(batch.Lengths[b], Is.EqualTo(alone.Length));
            Assert.That(batch.Row(b)[..alone.Length].ToArray(), Is.EqualTo(alone));
            Assert.That(batch.Row(b)[alone.Length..].ToArray(), Is.All.EqualTo(0));
            Assert.That(batch.AttentionMask.AsSpan(b * 7, 7).ToArray(),
                Is.EqualTo(Enumerable.Range(0, 7).Select(t => t < alone.Length ? 1 : 0).ToArray()));
        }
        Assert.That(batch.Row(1).ToArray(), Is.EqualTo(new[] { 101, 7592, 102, 0, 0, 0, 0 }));
    }

    [Test]
    public void EncodeBatch_PadToMaxLengthAndTruncation()
    {
        TokenBatch padded = Tokenizer.EncodeBatch(["hello", "This is an example sentence"], 10, padToMaxLength: true);
        TokenBatch truncated = Tokenizer.EncodeBatch(["hello", "This is an example sentence"], 4);

        Assert.That(padded.SequenceLength, Is.EqualTo(10));
        Assert.That(padded.AttentionMask.Sum(), Is.EqualTo(3 + 7));
        Assert.That(truncated.SequenceLength, Is.EqualTo(4));
        Assert.That(truncated.Row(1).ToArray(), Is.EqualTo(new[] { 101, 2023, 2003, 102 }));
        Assert.Throws<ArgumentException>(() => Tokenizer.EncodeBatch([], 8));
    }

    [Test]
    public void FromFile_MissingVocabulary_ThrowsNamingThePath()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}", "vocab.txt");

        var e = Assert.Throws<FileNotFoundException>(() => WordPieceTokenizer.FromFile(missing));

        Assert.That(e!.Message, Does.Contain(missing));
    }

    [Test]
    public void FromFile_SmallVocabulary_UsesItsLineNumbersAsIds()
    {
        string path = Path.Combine(Path.GetTempPath(), $"vocab-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, string.Join('\n', "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "dog", "##s", "run"), Encoding.UTF8);
        try
        {
            WordPieceTokenizer tokenizer = WordPieceTokenizer.FromFile(path);

            Assert.That(tokenizer.Encode("Dogs run cat", 16), Is.EqualTo(new[] { 2, 5, 6, 7, 1, 3 }));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
