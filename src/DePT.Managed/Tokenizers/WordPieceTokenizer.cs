using System.Text;
using MlTokenizers = Microsoft.ML.Tokenizers;

namespace DePT.Tokenizers;

/// <summary>
/// BERT WordPiece tokenization as Hugging Face's BertTokenizer does it for uncased models: basic
/// pre-tokenization, lower-casing and accent stripping, WordPiece, then [CLS] ... [SEP]. A thin wrapper
/// over Microsoft.ML.Tokenizers' BertTokenizer that adds truncation and padded batches.
/// </summary>
public sealed class WordPieceTokenizer : ITextTokenizer
{
    private readonly MlTokenizers.BertTokenizer _tokenizer;

    private WordPieceTokenizer(MlTokenizers.BertTokenizer tokenizer) => _tokenizer = tokenizer;

    /// <summary>Id of [CLS], which starts every sequence.</summary>
    public int ClassificationTokenId => _tokenizer.ClassificationTokenId;

    /// <summary>Id of [SEP], which ends every sequence.</summary>
    public int SeparatorTokenId => _tokenizer.SeparatorTokenId;

    /// <summary>Id of [PAD], written past the end of shorter texts in a batch.</summary>
    public int PaddingTokenId => _tokenizer.PaddingTokenId;

    /// <summary>Id of [UNK].</summary>
    public int UnknownTokenId => _tokenizer.UnknownTokenId;

    /// <summary>Two ids per sequence: [CLS] and [SEP].</summary>
    public int MinimumLength => 2;

    /// <summary>Whether this process can strip accents: it needs Unicode decomposition, which .NET does not
    /// have when the app runs with <c>InvariantGlobalization</c> (the text then passes through unchanged).</summary>
    public static bool AccentStrippingAvailable { get; } = "\u00E9".Normalize(NormalizationForm.FormD).Length == 2;

    /// <summary>Creates a tokenizer from a vocab.txt stream (one token a line; the id is the line number).</summary>
    /// <param name="vocabulary">The vocabulary; read to the end, not disposed.</param>
    /// <param name="lowerCase">Lower-case first, as uncased BERT models expect.</param>
    /// <param name="stripAccents">Remove accents (é → e); Hugging Face does so whenever it lower-cases,
    /// which is the default here.</param>
    /// <exception cref="InvalidOperationException">Accents are to be stripped but
    /// <see cref="AccentStrippingAvailable"/> is false.</exception>
    public static WordPieceTokenizer FromVocabulary(Stream vocabulary, bool lowerCase = true, bool? stripAccents = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        bool removeAccents = stripAccents ?? lowerCase;
        // Without decomposition "café" would silently become [UNK] instead of "cafe": refuse rather than differ.
        if (removeAccents && !AccentStrippingAvailable)
            throw new InvalidOperationException(
                "This app runs with InvariantGlobalization=true, so .NET cannot decompose accented characters and BERT accent stripping " +
                "would silently differ from Hugging Face. Set <InvariantGlobalization>false</InvariantGlobalization> in the app's project " +
                "(ICU must be installed), or pass stripAccents: false to accept the difference.");
        var options = new MlTokenizers.BertOptions
        {
            LowerCaseBeforeTokenization = lowerCase,
            RemoveNonSpacingMarks = removeAccents,
        };
        MlTokenizers.BertTokenizer tokenizer;
        try
        {
            tokenizer = MlTokenizers.BertTokenizer.Create(vocabulary, options);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The WordPiece vocabulary is not usable: {e.Message}", e);
        }
        return new WordPieceTokenizer(tokenizer);
    }

    /// <summary>Creates a tokenizer from a vocab.txt file.</summary>
    /// <param name="vocabularyPath">Path of vocab.txt.</param>
    /// <param name="lowerCase">Lower-case first, as uncased BERT models expect.</param>
    /// <param name="stripAccents">Remove accents; defaults to <paramref name="lowerCase"/> as in Hugging Face.</param>
    public static WordPieceTokenizer FromFile(string vocabularyPath, bool lowerCase = true, bool? stripAccents = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabularyPath);
        if (!File.Exists(vocabularyPath))
            throw new FileNotFoundException($"WordPiece vocabulary '{vocabularyPath}' does not exist.", vocabularyPath);
        using var stream = File.OpenRead(vocabularyPath);
        try
        {
            return FromVocabulary(stream, lowerCase, stripAccents);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"WordPiece vocabulary '{vocabularyPath}': {e.Message}", e);
        }
    }

    /// <summary>Tokenizes one text to [CLS] pieces [SEP], keeping at most <paramref name="maxLength"/> ids
    /// (pieces past the limit are dropped; [SEP] always ends the sequence).</summary>
    /// <param name="text">The text.</param>
    /// <param name="maxLength">Most ids to return, [CLS] and [SEP] included; at least 2.</param>
    public int[] Encode(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        IReadOnlyList<int> pieces = _tokenizer.EncodeToIds(text, addSpecialTokens: false);
        int kept = Math.Min(pieces.Count, maxLength - 2);
        var ids = new int[kept + 2];
        ids[0] = ClassificationTokenId;
        for (int i = 0; i < kept; i++)
            ids[i + 1] = pieces[i];
        ids[kept + 1] = SeparatorTokenId;
        return ids;
    }

    /// <summary>Tokenizes several texts and right-pads them with [PAD] to one length.</summary>
    /// <param name="texts">The texts; at least one.</param>
    /// <param name="maxLength">Most ids per text, [CLS] and [SEP] included; at least 2.</param>
    /// <param name="padToMaxLength">Pad every row to <paramref name="maxLength"/> instead of to the longest text.</param>
    public TokenBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength, bool padToMaxLength = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0)
            throw new ArgumentException("A batch needs at least one text.", nameof(texts));
        var rows = new int[texts.Count][];
        for (int b = 0; b < texts.Count; b++)
            rows[b] = Encode(texts[b] ?? throw new ArgumentException($"Text {b} of the batch is null.", nameof(texts)), maxLength);

        int length = padToMaxLength ? maxLength : rows.Max(r => r.Length);
        var ids = new int[texts.Count * length];
        var mask = new int[texts.Count * length];
        var lengths = new int[texts.Count];
        ids.AsSpan().Fill(PaddingTokenId);
        for (int b = 0; b < rows.Length; b++)
        {
            rows[b].CopyTo(ids.AsSpan(b * length));
            mask.AsSpan(b * length, rows[b].Length).Fill(1);
            lengths[b] = rows[b].Length;
        }
        return new TokenBatch(texts.Count, length, ids, mask, lengths);
    }

    /// <summary>Turns ids back into text: special tokens left out, ## continuations joined to their word,
    /// words separated by spaces except before . , ! ? and '.</summary>
    /// <param name="ids">Token ids.</param>
    public string Decode(ReadOnlySpan<int> ids) => _tokenizer.Decode(ids.ToArray(), skipSpecialTokens: true);
}
