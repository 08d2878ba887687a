using DePT.Tests.IO;
using DePT.Tests.MiniLm;
using DePT.Tokenizers;

namespace DePT.Tests.Tokenizers;

/// <summary>TokenizerLoader picks the tokenizer from the files of a Hugging Face model folder.</summary>
public class TokenizerLoaderTests
{
    [Test]
    public void FromFolder_SpieceModel_GivesSentencePieceWithExtraIdsFromTheConfig()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllBytes(folder.File("spiece.model"), TinySentencePieceModel.Build());
        File.WriteAllText(folder.File("tokenizer_config.json"), """{"extra_ids": 7, "model_max_length": 512}""");

        ITextTokenizer tokenizer = TokenizerLoader.FromFolder(folder.Path);

        var sentencePiece = tokenizer as SentencePieceTokenizer;
        Assert.That(sentencePiece, Is.Not.Null);
        Assert.That(sentencePiece!.ExtraIdCount, Is.EqualTo(7));
        Assert.That(tokenizer.Encode("the cat", 8), Is.EqualTo(new[] { TinySentencePieceModel.The, TinySentencePieceModel.Cat, 1 }));
        Assert.That(tokenizer.PaddingTokenId, Is.EqualTo(0));
    }

    [Test]
    public void FromFolder_SpieceModelWithoutConfig_Has100Sentinels()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllBytes(folder.File("spiece.model"), TinySentencePieceModel.Build());
        WriteMiniLmVocabulary(folder);

        ITextTokenizer tokenizer = TokenizerLoader.FromFolder(folder.Path);

        Assert.That(tokenizer, Is.TypeOf<SentencePieceTokenizer>(), "spiece.model wins over vocab.txt");
        Assert.That(((SentencePieceTokenizer)tokenizer).ExtraIdCount, Is.EqualTo(100));
    }

    [Test]
    public void FromFolder_VocabTxt_GivesWordPieceThatLowerCasesByDefault()
    {
        using var folder = new TemporaryFolder();
        WriteMiniLmVocabulary(folder);

        ITextTokenizer tokenizer = TokenizerLoader.FromFolder(folder.Path);

        Assert.That(tokenizer, Is.TypeOf<WordPieceTokenizer>());
        Assert.That(tokenizer.Encode("HELLO World", 16), Is.EqualTo(MiniLmAssets.Tokenizer.Encode("hello world", 16)));
        Assert.That(tokenizer.MinimumLength, Is.EqualTo(2));
    }

    [Test]
    public void FromFolder_DoLowerCaseFalse_KeepsCase()
    {
        using var folder = new TemporaryFolder();
        WriteMiniLmVocabulary(folder);
        File.WriteAllText(folder.File("tokenizer_config.json"), """{"do_lower_case": false, "strip_accents": null}""");

        ITextTokenizer tokenizer = TokenizerLoader.FromFolder(folder.Path);

        // The uncased vocabulary has no "HELLO": kept upper-case, it cannot be the id of "hello".
        Assert.That(tokenizer.Encode("HELLO", 16), Is.Not.EqualTo(tokenizer.Encode("hello", 16)));
    }

    [Test]
    public void FromFolder_NoTokenizerFile_ListsWhatWasLookedFor()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File("config.json"), "{}");

        var error = Assert.Throws<FileNotFoundException>(() => TokenizerLoader.FromFolder(folder.Path));

        Assert.That(error!.Message, Does.Contain(folder.Path).And.Contain("spiece.model").And.Contain("vocab.txt"));
    }

    [Test]
    public void FromFolder_MissingFolder_NamesIt()
    {
        string missing = Path.Combine(Path.GetTempPath(), "dept-no-such-" + Guid.NewGuid().ToString("N"));

        var error = Assert.Throws<DirectoryNotFoundException>(() => TokenizerLoader.FromFolder(missing));

        Assert.That(error!.Message, Does.Contain(missing));
    }

    [TestCase("{not json", "not valid JSON", TestName = "FromFolder_ConfigNotJson_NamesTheFile")]
    [TestCase("[1, 2]", "not an object", TestName = "FromFolder_ConfigNotAnObject_NamesTheFile")]
    [TestCase("""{"do_lower_case": "yes"}""", "\"do_lower_case\" is \"yes\"", TestName = "FromFolder_DoLowerCaseNotBoolean_NamesTheField")]
    [TestCase("""{"extra_ids": -3}""", "\"extra_ids\" is -3", TestName = "FromFolder_NegativeExtraIds_NamesTheField")]
    [TestCase("""{"extra_ids": 1.5}""", "\"extra_ids\" is 1.5", TestName = "FromFolder_FractionalExtraIds_NamesTheField")]
    public void FromFolder_BadConfig_NamesFileAndField(string config, string expected)
    {
        using var folder = new TemporaryFolder();
        File.WriteAllBytes(folder.File("spiece.model"), TinySentencePieceModel.Build());
        File.WriteAllText(folder.File("tokenizer_config.json"), config);

        var error = Assert.Throws<InvalidDataException>(() => TokenizerLoader.FromFolder(folder.Path));

        Assert.That(error!.Message, Does.Contain(folder.File("tokenizer_config.json")).And.Contain(expected));
    }

    [Test]
    public void FromFolder_CorruptSpieceModel_NamesThePath()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File("spiece.model"), "version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 791656\n");

        var error = Assert.Throws<InvalidDataException>(() => TokenizerLoader.FromFolder(folder.Path));

        Assert.That(error!.Message, Does.Contain(folder.File("spiece.model")).And.Contain("is not a SentencePiece model"));
    }

    private static void WriteMiniLmVocabulary(TemporaryFolder folder)
    {
        using var vocabulary = MiniLmAssets.Package.OpenVocabulary();
        using var file = File.Create(folder.File("vocab.txt"));
        vocabulary.CopyTo(file);
    }
}
