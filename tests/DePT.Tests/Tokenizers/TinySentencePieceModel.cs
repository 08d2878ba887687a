using DePT.Tests.MiniLm;

namespace DePT.Tests.Tokenizers;

/// <summary>
/// A hand-written SentencePiece unigram model with T5's layout (pad 0, eos 1, unk 2, no BOS) and identity
/// normalization, small enough that every expected segmentation can be worked out by hand: whole words score
/// far better than spelling them, so "the cat" is ▁the ▁cat, and a word the model lacks is ▁ followed by letters.
/// Capital letters and anything else outside a-z . , are unknown. Variants build the broken models of the error tests.
/// </summary>
internal static class TinySentencePieceModel
{
    public const int Pad = 0, Eos = 1, Unk = 2, Space = 3;
    public const int The = 4, Cat = 5, Sat = 6, On = 7, Mat = 8, A = 9, Period = 10, Comma = 11;
    public const int FirstLetter = 12; // a..z follow in order
    public const int PieceCount = FirstLetter + 26;

    public static readonly string[] Words = ["the", "cat", "sat", "on", "mat", "a"];

    public static int Letter(char c) => FirstLetter + (c - 'a');

    public static byte[] Build(int modelType = 1, int bosId = -1, int padId = Pad, int eosId = Eos, bool withBosPiece = false)
    {
        var model = new ProtobufTestWriter();
        Piece(model, "<pad>", 0f, type: 3);
        Piece(model, "</s>", 0f, type: 3);
        Piece(model, "<unk>", 0f, type: 2);
        Piece(model, "\u2581", -3f);
        foreach (string word in Words)
            Piece(model, "\u2581" + word, word == "the" ? -1f : -2f);
        Piece(model, ".", -1.5f);
        Piece(model, ",", -1.5f);
        for (char c = 'a'; c <= 'z'; c++)
            Piece(model, c.ToString(), -4f);
        if (withBosPiece)
            Piece(model, "<s>", 0f, type: 3);

        var trainer = new ProtobufTestWriter()
            .Varint(3, modelType)
            .Varint(4, PieceCount)
            .Varint(40, Unk)
            .Varint(41, bosId)
            .Varint(42, eosId)
            .Varint(43, padId)
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
}
