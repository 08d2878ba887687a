using DePT.Tokenizers;
using static DePT.Tests.Tokenizers.TinySentencePieceModel;

namespace DePT.Tests.Tokenizers;

/// <summary>
/// SentencePieceTokenizer on a hand-written model (no fixture needed): T5's sequence layout, whitespace handling,
/// unknown runs, special-token strings, truncation, padded batches and decoding. The expected segmentations were
/// also checked against the sentencepiece library itself on the same model bytes.
/// </summary>
public class SentencePieceTokenizerTests
{
    private const int Sentinel0 = PieceCount + SentencePieceTokenizer.DefaultExtraIdCount - 1;

    private static readonly SentencePieceTokenizer Tokenizer = SentencePieceTokenizer.FromBytes(Build(), "tiny model");

    [Test]
    public void Properties_FollowT5Layout()
    {
        Assert.That((Tokenizer.PaddingTokenId, Tokenizer.EndOfSequenceTokenId, Tokenizer.UnknownTokenId), Is.EqualTo((0, 1, 2)));
        Assert.That(Tokenizer.PieceCount, Is.EqualTo(PieceCount));
        Assert.That(Tokenizer.ExtraIdCount, Is.EqualTo(100));
        Assert.That(Tokenizer.VocabularySize, Is.EqualTo(PieceCount + 100));
        Assert.That(Tokenizer.MinimumLength, Is.EqualTo(1));
        Assert.That(Tokenizer.SentinelTokenId(0), Is.EqualTo(Sentinel0));
        Assert.That(Tokenizer.SentinelTokenId(99), Is.EqualTo(PieceCount));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.SentinelTokenId(100));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.SentinelTokenId(-1));
    }

    [Test]
    public void Encode_Words_GivesPiecesThenEosWithoutBos()
    {
        Assert.That(Tokenizer.Encode("the cat sat on the mat."), Is.EqualTo(new[] { The, Cat, Sat, On, The, Mat, Period, Eos }));
        // "cats": ▁cat + s beats spelling it; "at" is ▁a + t; "dog" is not a word piece: ▁ then letters.
        Assert.That(Tokenizer.Encode("cats at dog"), Is.EqualTo(new[] { Cat, Letter('s'), A, Letter('t'), Space, Letter('d'), Letter('o'), Letter('g'), Eos }));
    }

    [Test]
    public void Encode_CollapsesSpacesAndAddsTheDummyPrefix()
    {
        Assert.That(Tokenizer.Encode("   the    cat   "), Is.EqualTo(Tokenizer.Encode("the cat")));
        Assert.That(Tokenizer.Encode(""), Is.EqualTo(new[] { Eos }));
        Assert.That(Tokenizer.Encode("    "), Is.EqualTo(new[] { Eos }));
    }

    [Test]
    public void Encode_RunOfUnknownCharacters_IsOneUnk()
    {
        Assert.That(Tokenizer.Encode("the XYZ cat"), Is.EqualTo(new[] { The, Space, Unk, Cat, Eos }));
        Assert.That(Tokenizer.Encode("the X Y"), Is.EqualTo(new[] { The, Space, Unk, Space, Unk, Eos }));
        Assert.That(Tokenizer.Encode("a\U0001F642b"), Is.EqualTo(new[] { A, Unk, Letter('b'), Eos }), "a surrogate pair is one character");
    }

    [Test]
    public void Encode_SpecialTokenStrings_BecomeTheirIds()
    {
        Assert.That(Tokenizer.Encode("the <extra_id_0> cat <extra_id_99>"), Is.EqualTo(new[] { The, Sentinel0, Cat, PieceCount, Eos }));
        Assert.That(Tokenizer.Encode("the</s>cat<pad>"), Is.EqualTo(new[] { The, Eos, Cat, Pad, Eos }));
        Assert.That(Tokenizer.Encode("<unk>"), Is.EqualTo(new[] { Unk, Eos }));
        // Text glued to a special token still starts a word (▁), as encoding each chunk separately does.
        Assert.That(Tokenizer.Encode("x<extra_id_0>y"), Is.EqualTo(new[] { Space, Letter('x'), Sentinel0, Space, Letter('y'), Eos }));
    }

    [Test]
    public void Encode_NonCanonicalOrOutOfRangeSentinels_AreText()
    {
        int[] outOfRange = Tokenizer.Encode("<extra_id_100>");
        int[] leadingZero = Tokenizer.Encode("<extra_id_07>");
        var noSentinels = SentencePieceTokenizer.FromBytes(Build(), "tiny model", extraIdCount: 0);

        Assert.That(outOfRange, Has.Length.GreaterThan(2));
        Assert.That(outOfRange, Has.None.GreaterThanOrEqualTo(PieceCount));
        Assert.That(leadingZero, Has.Length.GreaterThan(2));
        Assert.That(leadingZero, Has.None.GreaterThanOrEqualTo(PieceCount));
        Assert.That(noSentinels.Encode("<extra_id_0>"), Has.Length.GreaterThan(2));
        Assert.That(noSentinels.Encode("<extra_id_0>"), Has.None.GreaterThanOrEqualTo(PieceCount));
        Assert.That(noSentinels.VocabularySize, Is.EqualTo(PieceCount));
    }

    [Test]
    public void Encode_Truncation_KeepsTheFirstPiecesAndEos()
    {
        int[] full = Tokenizer.Encode("the cat sat on the mat.");

        Assert.That(Tokenizer.Encode("the cat sat on the mat.", 4), Is.EqualTo(new[] { full[0], full[1], full[2], Eos }));
        Assert.That(Tokenizer.Encode("the cat sat on the mat.", full.Length), Is.EqualTo(full));
        Assert.That(Tokenizer.Encode("the cat sat on the mat.", full.Length + 5), Is.EqualTo(full));
        Assert.That(Tokenizer.Encode("the cat", 1), Is.EqualTo(new[] { Eos }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Encode("the cat", 0));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.Encode(null!, 4));
    }

    [Test]
    public void Encode_TruncationCountsSentinelsAsPieces()
    {
        Assert.That(Tokenizer.Encode("<extra_id_0> the cat", 3), Is.EqualTo(new[] { Sentinel0, The, Eos }));
    }

    [Test]
    public void EncodeBatch_RandomTexts_RightPadsWithZeroAndMasksPadding()
    {
        string[] texts = RandomTexts(5, maxWords: 9);

        TokenBatch batch = Tokenizer.EncodeBatch(texts, 64);

        int[][] alone = texts.Select(t => Tokenizer.Encode(t, 64)).ToArray();
        int length = alone.Max(row => row.Length);
        Assert.That((batch.BatchSize, batch.SequenceLength), Is.EqualTo((texts.Length, length)));
        for (int b = 0; b < texts.Length; b++)
        {
            string what = $"row {b}: \"{texts[b]}\"";
            Assert.That(batch.Lengths[b], Is.EqualTo(alone[b].Length), what);
            Assert.That(batch.Row(b)[..alone[b].Length].ToArray(), Is.EqualTo(alone[b]), what);
            Assert.That(batch.Row(b)[alone[b].Length..].ToArray(), Is.All.EqualTo(Pad), what);
            Assert.That(batch.AttentionMask.AsSpan(b * length, length).ToArray(),
                Is.EqualTo(Enumerable.Range(0, length).Select(t => t < alone[b].Length ? 1 : 0).ToArray()), what);
        }
    }

    [Test]
    public void EncodeBatch_PadToMaxLengthAndTruncation_KeepEosInEveryRow()
    {
        string[] texts = ["the cat", "the cat sat on the mat.", ""];

        TokenBatch padded = Tokenizer.EncodeBatch(texts, 12, padToMaxLength: true);
        TokenBatch truncated = Tokenizer.EncodeBatch(texts, 4);

        Assert.That(padded.SequenceLength, Is.EqualTo(12));
        Assert.That(padded.Lengths, Is.EqualTo(new[] { 3, 8, 1 }));
        Assert.That(padded.AttentionMask.Sum(), Is.EqualTo(3 + 8 + 1));
        Assert.That(padded.Row(2).ToArray(), Is.EqualTo(new[] { Eos, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }));
        Assert.That(truncated.SequenceLength, Is.EqualTo(4));
        Assert.That(truncated.Row(0).ToArray(), Is.EqualTo(new[] { The, Cat, Eos, Pad }));
        Assert.That(truncated.Row(1).ToArray(), Is.EqualTo(new[] { The, Cat, Sat, Eos }));
        Assert.That(truncated.Lengths, Is.EqualTo(new[] { 3, 4, 1 }));
        Assert.Throws<ArgumentException>(() => Tokenizer.EncodeBatch([], 4));
        Assert.Throws<ArgumentException>(() => Tokenizer.EncodeBatch(["the", null!], 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.EncodeBatch(["the"], 0));
    }

    [Test]
    public void Decode_RandomTexts_RoundTrip()
    {
        foreach (string text in RandomTexts(8, maxWords: 12))
            Assert.That(Tokenizer.Decode(Tokenizer.Encode(text)), Is.EqualTo(text));
    }

    [Test]
    public void Decode_LeavesOutSpecialTokensAndIdsPastTheVocabulary()
    {
        Assert.That(Tokenizer.Decode([Pad, The, Sentinel0, Cat, Eos, Pad, Pad]), Is.EqualTo("the cat"));
        Assert.That(Tokenizer.Decode([The, Eos, Cat]), Is.EqualTo("the cat"), "decoding goes on past </s>, as transformers does");
        // <unk> is left out; its ▁ stays, so two spaces remain (sentencepiece and transformers agree).
        Assert.That(Tokenizer.Decode(Tokenizer.Encode("the XYZ cat")), Is.EqualTo("the  cat"));
        Assert.That(Tokenizer.Decode([Cat, Tokenizer.VocabularySize, Tokenizer.VocabularySize + 27]), Is.EqualTo("cat"));
        Assert.That(Tokenizer.Decode([Letter('x'), Letter('y')]), Is.EqualTo("xy"), "a first piece without ▁ keeps its first letter");
        Assert.That(Tokenizer.Decode([]), Is.EqualTo(""));
        Assert.That(Tokenizer.Decode([Eos, Pad]), Is.EqualTo(""));
    }

    [Test]
    public void Decode_NegativeId_NamesItsPosition()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([The, Cat, -100]));

        Assert.That(error!.Message, Does.Contain("-100").And.Contain("position 2"));
    }

    [Test]
    public void ModelWithABosPiece_LoadsAndNeverEmitsBos()
    {
        var withBos = SentencePieceTokenizer.FromBytes(Build(bosId: PieceCount, withBosPiece: true), "tiny model with <s>");

        Assert.That(withBos.Encode("the cat sat"), Is.EqualTo(Tokenizer.Encode("the cat sat")));
        Assert.That(withBos.Decode([PieceCount, The]), Is.EqualTo("the"));
    }

    private static string[] RandomTexts(int count, int maxWords)
    {
        var random = TestContext.CurrentContext.Random;
        return Enumerable.Range(0, count)
            .Select(_ => string.Join(" ", Enumerable.Range(0, random.Next(1, maxWords + 1))
                .Select(_ => random.Next(3) == 0 ? random.GetString(random.Next(1, 6), "abcdefghijklmnopqrstuvwxyz") : Words[random.Next(Words.Length)])))
            .ToArray();
    }
}
