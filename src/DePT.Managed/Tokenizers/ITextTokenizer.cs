namespace DePT.Tokenizers;

/// <summary>
/// Text to model input ids and back, with the special tokens the model family expects: [CLS] … [SEP] for BERT
/// (<see cref="WordPieceTokenizer"/>), pieces then &lt;/s&gt; for T5 (<see cref="SentencePieceTokenizer"/>).
/// <see cref="TokenizerLoader.FromFolder"/> picks the right one for a Hugging Face model folder.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>Id written past the end of shorter texts in a batch.</summary>
    int PaddingTokenId { get; }

    /// <summary>The smallest <c>maxLength</c> that <see cref="Encode"/> accepts: the number of special tokens
    /// every sequence carries (2 for [CLS] and [SEP], 1 for &lt;/s&gt;).</summary>
    int MinimumLength { get; }

    /// <summary>Tokenizes one text into model input ids, special tokens included, keeping at most
    /// <paramref name="maxLength"/> ids; truncation drops ordinary pieces from the end and keeps the closing
    /// special token.</summary>
    /// <param name="text">The text.</param>
    /// <param name="maxLength">Most ids to return, special tokens included; at least <see cref="MinimumLength"/>.</param>
    int[] Encode(string text, int maxLength);

    /// <summary>Tokenizes several texts and right-pads them with <see cref="PaddingTokenId"/> to one length.</summary>
    /// <param name="texts">The texts; at least one.</param>
    /// <param name="maxLength">Most ids per text, special tokens included.</param>
    /// <param name="padToMaxLength">Pad every row to <paramref name="maxLength"/> instead of to the longest text.</param>
    TokenBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength, bool padToMaxLength = false);

    /// <summary>Turns ids back into text, leaving out special tokens (padding, end of sequence, unknown, sentinels,
    /// [CLS] and the like); for comparing generated ids with target text.</summary>
    /// <param name="ids">Token ids, for example one row of generated ids.</param>
    string Decode(ReadOnlySpan<int> ids);
}
