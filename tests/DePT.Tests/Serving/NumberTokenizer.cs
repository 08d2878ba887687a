using DePT.Tokenizers;

namespace DePT.Tests.Serving;

/// <summary>A stand-in tokenizer for the tiny fixture models: a text is its token ids written as numbers, then the closing id 1; padding 0.</summary>
internal sealed class NumberTokenizer : ITextTokenizer
{
    public const int Closing = 1;

    public int PaddingTokenId => 0;

    public int MinimumLength => 1;

    public int[] Encode(string text, int maxLength)
    {
        var ids = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).Take(maxLength - 1);
        return [.. ids, Closing];
    }

    public TokenBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength, bool padToMaxLength = false) =>
        throw new NotSupportedException("The servers encode text by text.");

    public string Decode(ReadOnlySpan<int> ids) => string.Join(' ', ids.ToArray().Where(id => id > Closing));
}
