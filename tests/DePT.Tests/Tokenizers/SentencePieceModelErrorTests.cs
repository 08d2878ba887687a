using System.Text;
using DePT.Tests.IO;
using DePT.Tokenizers;
using static DePT.Tests.Tokenizers.TinySentencePieceModel;

namespace DePT.Tests.Tokenizers;

/// <summary>Wrong files give errors that name the file and say what is wrong.</summary>
public class SentencePieceModelErrorTests
{
    [Test]
    public void FromFile_MissingFile_NamesThePath()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("spiece.model");

        var error = Assert.Throws<FileNotFoundException>(() => SentencePieceTokenizer.FromFile(path));

        Assert.That(error!.Message, Does.Contain(path));
        Assert.That(error.FileName, Is.EqualTo(path));
    }

    [TestCase("[PAD]\n[unused0]\n[CLS]\n[SEP]\nthe\n", TestName = "FromFile_VocabTxt_IsNotASentencePieceModel")]
    [TestCase("{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"<pad>\", 0.0]]}}", TestName = "FromFile_TokenizerJson_IsNotASentencePieceModel")]
    [TestCase("", TestName = "FromFile_EmptyFile_IsNotASentencePieceModel")]
    public void FromFile_OtherFile_IsNotASentencePieceModel(string content)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("spiece.model");
        File.WriteAllText(path, content, new UTF8Encoding(false));

        var error = Assert.Throws<InvalidDataException>(() => SentencePieceTokenizer.FromFile(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("is not a SentencePiece model"));
    }

    [Test]
    public void FromFile_TruncatedModel_NamesThePath()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("spiece.model");
        byte[] model = Build();
        File.WriteAllBytes(path, model[..(model.Length * 2 / 3)]);

        var error = Assert.Throws<InvalidDataException>(() => SentencePieceTokenizer.FromFile(path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("is not a SentencePiece model").And.Contain("Truncated"));
    }

    [Test]
    public void FromBytes_BpeModel_IsRefused()
    {
        var error = Assert.Throws<InvalidDataException>(() => SentencePieceTokenizer.FromBytes(Build(modelType: 2), "bpe.model"));

        Assert.That(error!.Message, Does.Contain("'bpe.model'").And.Contain("Bpe").And.Contain("Unigram"));
    }

    [Test]
    public void FromBytes_NoPadPiece_IsNotT5Layout()
    {
        var error = Assert.Throws<InvalidDataException>(() => SentencePieceTokenizer.FromBytes(Build(padId: -1), "nopad.model"));

        Assert.That(error!.Message, Does.Contain("'nopad.model'").And.Contain("pad_id is -1"));
    }

    [Test]
    public void FromBytes_EosOnAnOrdinaryPiece_NamesThePiece()
    {
        var error = Assert.Throws<InvalidDataException>(() => SentencePieceTokenizer.FromBytes(Build(eosId: The), "eos.model"));

        Assert.That(error!.Message, Does.Contain("'eos.model'").And.Contain("eos_id 4").And.Contain("\u2581the"));
    }

    [Test]
    public void FromBytes_BadArguments_AreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SentencePieceTokenizer.FromBytes(Build(), "tiny", extraIdCount: -1));
        Assert.Throws<ArgumentNullException>(() => SentencePieceTokenizer.FromBytes(null!, "tiny"));
        Assert.Throws<ArgumentException>(() => SentencePieceTokenizer.FromBytes(Build(), ""));
    }
}
