using DePT.Tokenizers;

namespace DePT.Tests.Data;

/// <summary>A stand-in tokenizer: one id per whitespace-separated word (its length + 10), then &lt;/s&gt; = 1;
/// padding 0. Truncation keeps the closing id, as the real tokenizers do.</summary>
internal sealed class WordCountTokenizer : ITextTokenizer
{
    public int PaddingTokenId => 0;

    public int MinimumLength => 1;

    public int[] Encode(string text, int maxLength)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int kept = Math.Min(words.Length, maxLength - 1);
        return [.. words.Take(kept).Select(w => w.Length + 10), 1];
    }

    public TokenBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength, bool padToMaxLength = false) =>
        throw new NotSupportedException("ExampleBatcher pads by itself.");

    public string Decode(ReadOnlySpan<int> ids) => throw new NotSupportedException();
}
