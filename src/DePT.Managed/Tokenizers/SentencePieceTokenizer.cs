using System.Globalization;
using System.Text.RegularExpressions;
using MlTokenizers = Microsoft.ML.Tokenizers;

namespace DePT.Tokenizers;

/// <summary>
/// T5's tokenizer: the SentencePiece unigram model of a Hugging Face T5 folder (spiece.model), run by
/// Microsoft.ML.Tokenizers, with the sequence layout of Hugging Face's T5 tokenizers: the pieces of the text,
/// then &lt;/s&gt; (id 1); no BOS; padding id 0; unknown id 2; and <see cref="ExtraIdCount"/> sentinel tokens
/// &lt;extra_id_0&gt;, &lt;extra_id_1&gt;, … numbered down from the top (&lt;extra_id_0&gt; is the last id).
/// </summary>
/// <remarks>
/// Special-token strings in the text (&lt;pad&gt;, &lt;/s&gt;, &lt;unk&gt;, &lt;extra_id_N&gt;) become their ids and the text
/// between them is encoded piece by piece, as transformers does for its added tokens. A run of characters the
/// model does not know becomes one &lt;unk&gt;, as in sentencepiece (Microsoft.ML.Tokenizers gives one per character).
/// </remarks>
public sealed class SentencePieceTokenizer : ITextTokenizer
{
    /// <summary>File name of the model in a Hugging Face T5 folder.</summary>
    public const string ModelFileName = "spiece.model";

    /// <summary>Number of sentinel tokens T5 adds after the model's pieces (transformers' default <c>extra_ids</c>).</summary>
    public const int DefaultExtraIdCount = 100;

    private readonly MlTokenizers.SentencePieceTokenizer _tokenizer;
    private readonly bool[] _isTextPiece; // per piece id: false for control and unknown pieces, which decode leaves out
    private readonly Dictionary<string, int> _namedSpecialTokens;
    private readonly Regex _specialTokenPattern;

    private SentencePieceTokenizer(MlTokenizers.SentencePieceTokenizer tokenizer, SentencePieceModelFile model, int extraIdCount)
    {
        _tokenizer = tokenizer;
        PieceCount = model.Pieces.Count;
        ExtraIdCount = extraIdCount;
        PaddingTokenId = model.PaddingId;
        EndOfSequenceTokenId = model.EndOfSentenceId;
        UnknownTokenId = model.UnknownId;
        _isTextPiece = model.Kinds
            .Select(kind => kind is not (SentencePieceModelFile.PieceKind.Control or SentencePieceModelFile.PieceKind.Unknown))
            .ToArray();
        _namedSpecialTokens = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            [model.Pieces[PaddingTokenId]] = PaddingTokenId,
            [model.Pieces[EndOfSequenceTokenId]] = EndOfSequenceTokenId,
            [model.Pieces[UnknownTokenId]] = UnknownTokenId,
        };
        string named = string.Join("|", _namedSpecialTokens.Keys.Select(Regex.Escape));
        _specialTokenPattern = new Regex($"{named}|<extra_id_(0|[1-9][0-9]*)>", RegexOptions.CultureInvariant);
    }

    /// <summary>Id of &lt;pad&gt;, written past the end of shorter texts in a batch (0 in T5).</summary>
    public int PaddingTokenId { get; }

    /// <summary>Id of &lt;/s&gt;, which ends every sequence (1 in T5).</summary>
    public int EndOfSequenceTokenId { get; }

    /// <summary>Id of &lt;unk&gt; (2 in T5).</summary>
    public int UnknownTokenId { get; }

    /// <summary>Number of pieces in the SentencePiece model (32,000 for the released T5 checkpoints).</summary>
    public int PieceCount { get; }

    /// <summary>Number of sentinel tokens after the pieces.</summary>
    public int ExtraIdCount { get; }

    /// <summary>Pieces plus sentinels: every id <see cref="Encode(string, int)"/> returns is below this. T5 configs
    /// round the embedding up (32,128 rows for 32,100 ids); ids past this have no text.</summary>
    public int VocabularySize => PieceCount + ExtraIdCount;

    /// <summary>One id per sequence: the closing &lt;/s&gt;.</summary>
    public int MinimumLength => 1;

    /// <summary>Loads spiece.model.</summary>
    /// <param name="modelPath">Path of the SentencePiece model file.</param>
    /// <param name="extraIdCount">Sentinel tokens after the pieces; T5 checkpoints use 100 (their tokenizer_config.json
    /// says so as <c>extra_ids</c>).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a SentencePiece unigram model with T5's pad/eos/unk
    /// pieces; the message names the file.</exception>
    public static SentencePieceTokenizer FromFile(string modelPath, int extraIdCount = DefaultExtraIdCount)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"SentencePiece model '{modelPath}' does not exist.", modelPath);
        return FromBytes(File.ReadAllBytes(modelPath), modelPath, extraIdCount);
    }

    /// <summary>Loads a SentencePiece model from memory.</summary>
    /// <param name="model">The serialised <c>ModelProto</c> (the bytes of spiece.model).</param>
    /// <param name="source">What the bytes are (a path, a resource name), used in error messages.</param>
    /// <param name="extraIdCount">Sentinel tokens after the pieces.</param>
    /// <exception cref="InvalidDataException">The bytes are not a SentencePiece unigram model with T5's pad/eos/unk
    /// pieces.</exception>
    public static SentencePieceTokenizer FromBytes(byte[] model, string source, int extraIdCount = DefaultExtraIdCount)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentOutOfRangeException.ThrowIfNegative(extraIdCount);
        SentencePieceModelFile parsed = SentencePieceModelFile.Parse(model, source);
        MlTokenizers.SentencePieceTokenizer tokenizer;
        try
        {
            using var stream = new MemoryStream(parsed.BytesForMicrosoftMl(model), writable: false);
            tokenizer = MlTokenizers.SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false);
        }
        // Google.Protobuf's parse errors derive from IOException; the library's own checks throw ArgumentException.
        catch (Exception e) when (e is ArgumentException or IOException)
        {
            throw new InvalidDataException($"SentencePiece model '{source}' could not be loaded by Microsoft.ML.Tokenizers: {e.Message}", e);
        }
        return new SentencePieceTokenizer(tokenizer, parsed, extraIdCount);
    }

    /// <summary>Id of the sentinel token &lt;extra_id_<paramref name="index"/>&gt;.</summary>
    /// <param name="index">0 ≤ index &lt; <see cref="ExtraIdCount"/>.</param>
    public int SentinelTokenId(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ExtraIdCount);
        return VocabularySize - 1 - index;
    }

    /// <summary>Tokenizes one text to its pieces followed by &lt;/s&gt;, without truncation.</summary>
    /// <param name="text">The text.</param>
    public int[] Encode(string text) => Encode(text, int.MaxValue);

    /// <summary>Tokenizes one text to its pieces followed by &lt;/s&gt;, keeping at most <paramref name="maxLength"/> ids:
    /// pieces past <paramref name="maxLength"/> − 1 are dropped and &lt;/s&gt; always ends the sequence (Hugging Face's
    /// <c>truncation=True, max_length=maxLength</c>).</summary>
    /// <param name="text">The text.</param>
    /// <param name="maxLength">Most ids to return, &lt;/s&gt; included; at least 1.</param>
    public int[] Encode(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, MinimumLength);
        var ids = new List<int>();
        int plainStart = 0;
        for (Match match = _specialTokenPattern.Match(text); match.Success; match = match.NextMatch())
        {
            if (!TryGetSpecialTokenId(match, out int specialId))
                continue; // <extra_id_N> past the sentinels: ordinary text, as in transformers
            AppendPieces(text.AsSpan(plainStart, match.Index - plainStart), ids);
            ids.Add(specialId);
            plainStart = match.Index + match.Length;
        }
        AppendPieces(text.AsSpan(plainStart), ids);

        int kept = Math.Min(ids.Count, maxLength - 1);
        var result = new int[kept + 1];
        ids.CopyTo(0, result, 0, kept);
        result[kept] = EndOfSequenceTokenId;
        return result;
    }

    /// <summary>Tokenizes several texts and right-pads them with &lt;pad&gt; to one length; the mask is 1 on every id
    /// of a text, &lt;/s&gt; included, and 0 on padding.</summary>
    /// <param name="texts">The texts; at least one.</param>
    /// <param name="maxLength">Most ids per text, &lt;/s&gt; included; at least 1.</param>
    /// <param name="padToMaxLength">Pad every row to <paramref name="maxLength"/> instead of to the longest text.</param>
    public TokenBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength, bool padToMaxLength = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, MinimumLength);
        if (texts.Count == 0)
            throw new ArgumentException("A batch needs at least one text.", nameof(texts));
        var rows = new int[texts.Count][];
        for (int b = 0; b < texts.Count; b++)
            rows[b] = Encode(texts[b] ?? throw new ArgumentException($"Text {b} of the batch is null.", nameof(texts)), maxLength);
        return TokenBatchBuilder.RightPadded(rows, padToMaxLength ? maxLength : rows.Max(row => row.Length), PaddingTokenId);
    }

    /// <summary>Turns ids back into text as Hugging Face's <c>decode(ids, skip_special_tokens=True,
    /// clean_up_tokenization_spaces=False)</c> does: padding, &lt;/s&gt;, &lt;unk&gt; and sentinels are left out (decoding
    /// goes on past &lt;/s&gt;), ▁ becomes a space and the space the model put before the first word is dropped. Ids at or
    /// past <see cref="VocabularySize"/> (the embedding rows T5 adds beyond its tokenizer) have no text and are left
    /// out too.</summary>
    /// <param name="ids">Token ids, for example one row of generated ids.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is negative (such as the −100 of ignored label
    /// positions, which must be replaced by the padding id first).</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var textIds = new List<int>(ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if (id < 0)
                throw new ArgumentOutOfRangeException(nameof(ids), id,
                    $"Token id {id} at position {i} is negative; ignored label positions (-100) must be replaced by the padding id {PaddingTokenId} before decoding.");
            if (id < PieceCount && _isTextPiece[id])
                textIds.Add(id);
        }
        return _tokenizer.Decode(textIds, considerSpecialTokens: false);
    }

    private bool TryGetSpecialTokenId(Match match, out int id)
    {
        if (_namedSpecialTokens.TryGetValue(match.Value, out id))
            return true;
        // The pattern admits only canonical numbers (transformers' tokens are "<extra_id_7>", never "<extra_id_07>");
        // one too long for int is ordinary text as well.
        if (int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < ExtraIdCount)
        {
            id = SentinelTokenId(index);
            return true;
        }
        id = -1;
        return false;
    }

    private void AppendPieces(ReadOnlySpan<char> plainText, List<int> ids)
    {
        if (plainText.IsEmpty)
            return;
        IReadOnlyList<int> pieces = _tokenizer.EncodeToIds(plainText, addBeginningOfSentence: false, addEndOfSentence: false,
            considerPreTokenization: false, considerNormalization: true);
        bool previousUnknown = false;
        foreach (int id in pieces)
        {
            bool unknown = id == UnknownTokenId;
            if (!(unknown && previousUnknown))
                ids.Add(id);
            previousUnknown = unknown;
        }
    }
}
