using DePT.Tests.MiniLm;
using DePT.Tokenizers;

namespace DePT.Tests.Tokenizers;

/// <summary>WordPieceTokenizer's part of <see cref="ITextTokenizer"/>: decoding the real MiniLM vocabulary.</summary>
public class WordPieceDecodeTests
{
    [Test]
    public void Decode_EncodedText_GivesTheLowerCasedTextWithoutSpecialTokens()
    {
        ITextTokenizer tokenizer = MiniLmAssets.Tokenizer;

        int[] ids = tokenizer.Encode("The tokenization WORKS, mostly!", 32);

        Assert.That(ids[0], Is.EqualTo(MiniLmAssets.Tokenizer.ClassificationTokenId));
        Assert.That(tokenizer.Decode(ids), Is.EqualTo("the tokenization works, mostly!"));
        Assert.That(tokenizer.Decode(tokenizer.EncodeBatch(["hi", "a longer text"], 16).Row(0)), Is.EqualTo("hi"));
    }
}
