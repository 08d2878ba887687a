using System.Security.Cryptography;
using System.Text.Json;
using DePT.Tokenizers;

namespace DePT.Tests.Tokenizers;

/// <summary>
/// Our T5 tokenizer against sentencepiece and Hugging Face transformers on a real trained model (the fixture).
/// The reference ids are sentencepiece's, with special-token strings cut out first as transformers does; on
/// "ordinary" text every transformers tokenizer the script could build must agree with them too. Where transformers
/// differs from sentencepiece at the edges (whitespace, normalization, unknown characters, special tokens), the
/// script lists it under "disagreements" and we follow sentencepiece, the tokenizer T5 was trained with.
/// </summary>
public class SentencePieceFixtureTests
{
    private static (T5TokenizerFixture Fixture, SentencePieceTokenizer Tokenizer) Load()
    {
        T5TokenizerFixture fixture = T5TokenizerFixture.LoadOrIgnore();
        JsonElement model = fixture.Root.GetProperty("model");
        var tokenizer = SentencePieceTokenizer.FromFile(fixture.ModelPath, model.GetProperty("extra_ids").GetInt32());
        return (fixture, tokenizer);
    }

    [Test]
    public void Fixture_ModelIsTheOneTheExpectationsWereComputedFrom()
    {
        var (fixture, tokenizer) = Load();
        JsonElement model = fixture.Root.GetProperty("model");

        Assert.That(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(fixture.ModelPath))),
            Is.EqualTo(fixture.Root.GetProperty("model_sha256").GetString()));
        Assert.That((tokenizer.PieceCount, tokenizer.PaddingTokenId, tokenizer.EndOfSequenceTokenId, tokenizer.UnknownTokenId),
            Is.EqualTo((model.GetProperty("pieces").GetInt32(), model.GetProperty("pad_id").GetInt32(),
                model.GetProperty("eos_id").GetInt32(), model.GetProperty("unk_id").GetInt32())));
        Assert.That(fixture.TransformersLabels, Is.Not.Empty, "the script records at least one transformers tokenizer");
        foreach (string label in fixture.TransformersLabels)
            Assert.That(tokenizer.VocabularySize, Is.EqualTo(fixture.Root.GetProperty("hf_tokenizers").GetProperty(label).GetProperty("len").GetInt32()),
                $"len({label}) counts the pieces and the sentinels");
    }

    [Test]
    public void Encode_EveryCase_MatchesTheSentencePieceReference()
    {
        var (fixture, tokenizer) = Load();

        Assert.Multiple(() =>
        {
            foreach (JsonElement testCase in fixture.Cases)
            {
                string text = testCase.GetProperty("text").GetString()!;
                Assert.That(tokenizer.Encode(text), Is.EqualTo(T5TokenizerFixture.Ids(testCase.GetProperty("reference_ids"))),
                    Describe(testCase));
            }
        });
    }

    [Test]
    public void Encode_OrdinaryText_MatchesEveryTransformersTokenizer()
    {
        var (fixture, tokenizer) = Load();

        Assert.Multiple(() =>
        {
            foreach (JsonElement testCase in fixture.Cases.Where(c => c.GetProperty("category").GetString() == "ordinary"))
            {
                int[] ours = tokenizer.Encode(testCase.GetProperty("text").GetString()!);
                foreach (JsonProperty hf in testCase.GetProperty("hf").EnumerateObject())
                    Assert.That(ours, Is.EqualTo(T5TokenizerFixture.Ids(hf.Value.GetProperty("ids"))), $"{hf.Name}: {Describe(testCase)}");
            }
        });
    }

    [Test]
    public void Encode_Truncated_MatchesReferenceAndTransformers()
    {
        var (fixture, tokenizer) = Load();
        JsonElement truncation = fixture.Root.GetProperty("truncation");
        string text = fixture.Cases.Single(c => c.GetProperty("name").GetString() == truncation.GetProperty("name").GetString())
            .GetProperty("text").GetString()!;
        int maxLength = truncation.GetProperty("max_length").GetInt32();

        int[] ours = tokenizer.Encode(text, maxLength);

        Assert.That(ours, Has.Length.EqualTo(maxLength));
        Assert.That(ours[^1], Is.EqualTo(tokenizer.EndOfSequenceTokenId));
        Assert.That(ours, Is.EqualTo(T5TokenizerFixture.Ids(truncation.GetProperty("reference_ids"))));
        foreach (JsonProperty hf in truncation.GetProperty("hf").EnumerateObject())
            Assert.That(ours, Is.EqualTo(T5TokenizerFixture.Ids(hf.Value.GetProperty("ids"))), hf.Name);
    }

    [Test]
    public void Decode_EveryCase_MatchesSentencePiece()
    {
        var (fixture, tokenizer) = Load();

        Assert.Multiple(() =>
        {
            foreach (JsonElement testCase in fixture.Cases)
                Assert.That(tokenizer.Decode(T5TokenizerFixture.Ids(testCase.GetProperty("reference_ids"))),
                    Is.EqualTo(testCase.GetProperty("sentencepiece_decoded").GetString()), Describe(testCase));
        });
    }

    [Test]
    public void Decode_OrdinaryText_MatchesEveryTransformersTokenizer()
    {
        var (fixture, tokenizer) = Load();

        Assert.Multiple(() =>
        {
            foreach (JsonElement testCase in fixture.Cases.Where(c => c.GetProperty("category").GetString() == "ordinary"))
            {
                string ours = tokenizer.Decode(T5TokenizerFixture.Ids(testCase.GetProperty("reference_ids")));
                foreach (JsonProperty hf in testCase.GetProperty("hf").EnumerateObject())
                    Assert.That(ours, Is.EqualTo(hf.Value.GetProperty("decoded").GetString()), $"{hf.Name}: {Describe(testCase)}");
            }
        });
    }

    private static string Describe(JsonElement testCase) =>
        $"case '{testCase.GetProperty("name").GetString()}' ({testCase.GetProperty("category").GetString()}), " +
        $"text {JsonSerializer.Serialize(testCase.GetProperty("text").GetString())}, reference pieces " +
        string.Join(" ", testCase.GetProperty("reference_pieces").EnumerateArray().Select(p => p.GetString()));
}
