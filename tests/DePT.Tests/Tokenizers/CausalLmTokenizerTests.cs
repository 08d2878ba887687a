using System.Text.Json.Nodes;
using DePT.Tests.IO;
using DePT.Tests.MiniLm;
using DePT.Tokenizers;

namespace DePT.Tests.Tokenizers;

/// <summary>
/// The decoder-only tokenizers on hand-made files whose segmentations are worked out by hand: a SentencePiece BPE
/// tokenizer.model (Llama 2 layout: unk 0, &lt;s&gt; 1, &lt;/s&gt; 2, merges by score) and a byte-level BPE tokenizer.json
/// (Llama 3 layout: vocabulary, merges, added special tokens, a Split pre-tokenizer and a post-processor that puts
/// &lt;|begin_of_text|&gt; first); the folder loader picks each.
/// </summary>
public class CausalLmTokenizerTests
{
    // SentencePiece BPE pieces: ▁ 3, a..z 4..29, then ▁t 30, he 31, ▁the 32
    private const int Unk = 0, Bos = 1, Eos = 2, SpaceMark = 3, FirstLetter = 4, SpaceT = 30, He = 31, SpaceThe = 32;

    // byte-level vocabulary: single characters, then merged tokens, then the special tokens
    private static readonly string[] ByteVocabulary = ["h", "e", "l", "o", "w", "r", "d", "Ġ", "he", "ll", "hell", "hello", "Ġw", "or", "Ġwor", "Ġworl", "Ġworld"];
    private const int BeginOfText = 100, EndOfText = 101;

    [Test]
    public void SentencePieceBpeMergesByScoreAndPutsBosFirst()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllBytes(folder.File("tokenizer.model"), SentencePieceBpeModel());
        var tokenizer = (CausalLmTokenizer)TokenizerLoader.FromFolder(folder.Path);

        Assert.That(tokenizer.FirstTokenId, Is.EqualTo(Bos));
        Assert.That(tokenizer.Encode("the cat", 16), Is.EqualTo(new[] { Bos, SpaceThe, SpaceMark, Letter('c'), Letter('a'), Letter('t') }));
        Assert.That(tokenizer.Encode("the cat", 3), Is.EqualTo(new[] { Bos, SpaceThe, SpaceMark }), "truncation keeps <s> and cuts the end");
        Assert.That(tokenizer.Decode([Bos, SpaceThe, SpaceMark, Letter('c'), Letter('a'), Letter('t'), Eos]), Is.EqualTo("the cat"));
        Assert.That(tokenizer.PaddingTokenId, Is.EqualTo(Eos), "no pad piece: padding with </s>");
    }

    [Test]
    public void ByteLevelBpeFollowsTheMergesAndThePostProcessorsFirstToken()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File("tokenizer.json"), TokenizerJson().ToJsonString());
        File.WriteAllText(folder.File("tokenizer_config.json"), """{"eos_token": "<|end_of_text|>", "pad_token": null}""");
        var tokenizer = (CausalLmTokenizer)TokenizerLoader.FromFolder(folder.Path);

        int hello = Id("hello"), world = Id("Ġworld");
        Assert.That(tokenizer.Encode("hello world", 16), Is.EqualTo(new[] { BeginOfText, hello, world }));
        // no merge makes "hold" or "Ġhold": its bytes stay apart
        Assert.That(tokenizer.Encode("hello hold", 16), Is.EqualTo(new[] { BeginOfText, hello, Id("Ġ"), Id("h"), Id("o"), Id("l"), Id("d") }));
        Assert.That(tokenizer.Encode("hello<|end_of_text|>", 16), Is.EqualTo(new[] { BeginOfText, hello, EndOfText }), "special tokens in the text");
        Assert.That(tokenizer.Decode([BeginOfText, hello, world, EndOfText]), Is.EqualTo("hello world"));
        Assert.That((tokenizer.EndOfSequenceTokenId, tokenizer.PaddingTokenId), Is.EqualTo(((int?)EndOfText, EndOfText)));
    }

    [Test]
    public void LeftPaddedBatchesEndEveryRowWithItsLastToken()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File("tokenizer.json"), TokenizerJson().ToJsonString());
        var tokenizer = CausalLmTokenizer.FromTokenizerJson(folder.File("tokenizer.json"), "<|end_of_text|>");
        var batch = tokenizer.EncodeBatchLeftPadded(["hello world", "hello"], 8);
        Assert.That(batch.SequenceLength, Is.EqualTo(3));
        Assert.That(batch.InputIds, Is.EqualTo(new[] { BeginOfText, Id("hello"), Id("Ġworld"), EndOfText, BeginOfText, Id("hello") }));
        Assert.That(batch.AttentionMask, Is.EqualTo(new[] { 1, 1, 1, 0, 1, 1 }));
        var right = tokenizer.EncodeBatch(["hello world", "hello"], 8);
        Assert.That(right.AttentionMask, Is.EqualTo(new[] { 1, 1, 1, 1, 1, 0 }));
    }

    [Test]
    public void ATokenizerJsonThatIsNotByteLevelBpeIsRefusedByName()
    {
        using var folder = new TemporaryFolder();
        var json = TokenizerJson();
        json["model"]!["type"] = "WordPiece";
        File.WriteAllText(folder.File("tokenizer.json"), json.ToJsonString());
        Assert.That(() => CausalLmTokenizer.FromTokenizerJson(folder.File("tokenizer.json")),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("model.type is 'WordPiece'").And.Message.Contains("tokenizer.json"));
        Assert.That(() => CausalLmTokenizer.FromTokenizerJson(folder.File("tokenizer.json").Replace("tokenizer.json", "missing.json")), Throws.InstanceOf<FileNotFoundException>());
    }

    private static int Letter(char c) => FirstLetter + (c - 'a');

    private static int Id(string token) => Array.IndexOf(ByteVocabulary, token);

    private static byte[] SentencePieceBpeModel()
    {
        var model = new ProtobufTestWriter();
        Piece(model, "<unk>", 0f, type: 2);
        Piece(model, "<s>", 0f, type: 3);
        Piece(model, "</s>", 0f, type: 3);
        Piece(model, "\u2581", -5f);
        for (char c = 'a'; c <= 'z'; c++) Piece(model, c.ToString(), -5f);
        Piece(model, "\u2581t", -1f);
        Piece(model, "he", -2f);
        Piece(model, "\u2581the", -3f);
        var trainer = new ProtobufTestWriter()
            .Varint(3, 2) // model_type BPE
            .Varint(4, 33)
            .Varint(40, Unk)
            .Varint(41, Bos)
            .Varint(42, Eos)
            .Varint(43, -1)
            .String(45, "<unk>")
            .String(46, "<s>")
            .String(47, "</s>")
            .String(48, "<pad>");
        var normalizer = new ProtobufTestWriter()
            .String(1, "identity")
            .Varint(3, 1)  // add_dummy_prefix
            .Varint(4, 1)  // remove_extra_whitespaces
            .Varint(5, 1); // escape_whitespaces
        return model.Message(2, trainer).Message(3, normalizer).ToArray();
    }

    private static void Piece(ProtobufTestWriter model, string piece, float score, int type = 1) =>
        model.Message(1, new ProtobufTestWriter().String(1, piece).Fixed32(2, score).Varint(3, type));

    /// <summary>Llama 3's layout in miniature.</summary>
    private static JsonObject TokenizerJson()
    {
        var vocabulary = new JsonObject();
        for (int i = 0; i < ByteVocabulary.Length; i++) vocabulary[ByteVocabulary[i]] = i;
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(
                new JsonObject { ["id"] = BeginOfText, ["content"] = "<|begin_of_text|>", ["special"] = true },
                new JsonObject { ["id"] = EndOfText, ["content"] = "<|end_of_text|>", ["special"] = true }),
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject { ["Regex"] = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+" },
                        ["behavior"] = "Isolated",
                    },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = false }),
            },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["processors"] = new JsonArray(
                    new JsonObject { ["type"] = "ByteLevel" },
                    new JsonObject
                    {
                        ["type"] = "TemplateProcessing",
                        ["single"] = new JsonArray(
                            new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<|begin_of_text|>", ["type_id"] = 0 } },
                            new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                    }),
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["vocab"] = vocabulary,
                ["merges"] = new JsonArray("h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", new JsonArray("Ġworl", "d")),
            },
        };
    }
}
