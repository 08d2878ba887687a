using System.Text.RegularExpressions;
using MlTokenizers = Microsoft.ML.Tokenizers;

namespace DePT.Tokenizers;

/// <summary>
/// The tokenizer of a decoder-only model, run by Microsoft.ML.Tokenizers: a SentencePiece BPE <c>tokenizer.model</c>
/// (Llama 2, Mistral: &lt;s&gt; first) or a byte-level BPE <c>tokenizer.json</c> (Llama 3: &lt;|begin_of_text|&gt; first,
/// from its post-processor; Qwen2: nothing first). A sequence is the optional first token, then the text's tokens; no
/// end token (a causal LM's prompt goes on). Special-token strings in the text become their ids. Padding uses the
/// pad token when the tokenizer has one, else its end-of-sequence token (Llama has no pad token).
/// </summary>
public sealed class CausalLmTokenizer : ITextTokenizer
{
    /// <summary>File name of a SentencePiece model in a Hugging Face folder.</summary>
    public const string SentencePieceFileName = "tokenizer.model";

    /// <summary>File name of a Hugging Face tokenizers file.</summary>
    public const string TokenizerJsonFileName = "tokenizer.json";

    private readonly MlTokenizers.Tokenizer _tokenizer;
    private readonly HashSet<int> _specialIds;

    private CausalLmTokenizer(MlTokenizers.Tokenizer tokenizer, int? firstTokenId, int? endOfSequenceTokenId, int paddingTokenId, HashSet<int> specialIds)
    {
        _tokenizer = tokenizer;
        FirstTokenId = firstTokenId;
        EndOfSequenceTokenId = endOfSequenceTokenId;
        PaddingTokenId = paddingTokenId;
        _specialIds = specialIds;
    }

    /// <summary>The id put before every sequence (&lt;s&gt;, &lt;|begin_of_text|&gt;), or null.</summary>
    public int? FirstTokenId { get; }

    /// <summary>The end-of-sequence id (&lt;/s&gt;, &lt;|end_of_text|&gt;, &lt;|endoftext|&gt;), or null when the tokenizer has none.</summary>
    public int? EndOfSequenceTokenId { get; }

    /// <inheritdoc />
    public int PaddingTokenId { get; }

    /// <inheritdoc />
    public int MinimumLength => FirstTokenId is null ? 1 : 2;

    /// <summary>Loads a SentencePiece BPE model (Llama 2, Mistral <c>tokenizer.model</c>): &lt;s&gt; first, &lt;/s&gt; as end, &lt;unk&gt; and both left out by decoding.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Microsoft.ML.Tokenizers cannot read it as a SentencePiece BPE model; the message names the file.</exception>
    public static CausalLmTokenizer FromSentencePiece(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"SentencePiece model '{modelPath}' does not exist.", modelPath);
        MlTokenizers.LlamaTokenizer tokenizer;
        try
        {
            using var stream = File.OpenRead(modelPath);
            tokenizer = MlTokenizers.LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is ArgumentException or IOException or NotSupportedException)
        {
            throw new InvalidDataException($"SentencePiece model '{modelPath}' could not be loaded as a BPE model by Microsoft.ML.Tokenizers: {e.Message}", e);
        }
        var special = new HashSet<int> { tokenizer.BeginningOfSentenceId, tokenizer.EndOfSentenceId, tokenizer.UnknownId };
        return new CausalLmTokenizer(tokenizer, tokenizer.BeginningOfSentenceId, tokenizer.EndOfSentenceId, tokenizer.EndOfSentenceId, special);
    }

    /// <summary>
    /// Loads a byte-level BPE <c>tokenizer.json</c> (Llama 3, Qwen2). <paramref name="endOfSequenceToken"/> and
    /// <paramref name="paddingToken"/> name added tokens (tokenizer_config.json's <c>eos_token</c>, <c>pad_token</c>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a byte-level BPE tokenizer.json, or a named token is not in it.</exception>
    public static CausalLmTokenizer FromTokenizerJson(string path, string? endOfSequenceToken = null, string? paddingToken = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Tokenizer '{path}' does not exist.", path);
        var file = TokenizerJsonFile.Load(path);
        int? Lookup(string? token, string what) => token is null ? null
            : file.AddedTokens.TryGetValue(token, out int id) || file.Vocabulary.TryGetValue(token, out id) ? id
            : throw new InvalidDataException($"Tokenizer '{path}' has no {what} '{token}'.");
        var specialTokens = file.AddedTokens.Where(pair => file.SpecialIds.Contains(pair.Value)).ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
        MlTokenizers.BpeTokenizer tokenizer;
        try
        {
            var options = new MlTokenizers.BpeOptions(file.Vocabulary.Concat(file.AddedTokens.Where(pair => !file.Vocabulary.ContainsKey(pair.Key))))
            {
                Merges = file.Merges,
                ByteLevel = true,
                SpecialTokens = specialTokens,
                PreTokenizer = new MlTokenizers.RegexPreTokenizer(new Regex(file.SplitPattern, RegexOptions.Compiled), specialTokens),
            };
            tokenizer = MlTokenizers.BpeTokenizer.Create(options);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"Tokenizer '{path}' could not be loaded by Microsoft.ML.Tokenizers: {e.Message}", e);
        }
        int? end = Lookup(endOfSequenceToken, "end-of-sequence token");
        int padding = Lookup(paddingToken, "padding token") ?? end ?? 0;
        return new CausalLmTokenizer(tokenizer, Lookup(file.FirstToken, "first token"), end, padding, [.. file.SpecialIds]);
    }

    /// <summary>The first token (when the tokenizer has one) and the text's tokens, at most <paramref name="maxLength"/> ids (the end of the text is cut).</summary>
    /// <param name="text">The text.</param>
    /// <param name="maxLength">Most ids to return, the first token included.</param>
    public int[] Encode(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, MinimumLength);
        var pieces = _tokenizer.EncodeToIds(text);
        int first = FirstTokenId is null ? 0 : 1;
        int kept = Math.Min(pieces.Count, maxLength - first);
        var ids = new int[first + kept];
        if (FirstTokenId is int id) ids[0] = id;
        for (int i = 0; i < kept; i++) ids[first + i] = pieces[i];
        return ids;
    }

    /// <summary>Encodes several texts and right-pads them with <see cref="PaddingTokenId"/> (training batches).</summary>
    /// <inheritdoc cref="ITextTokenizer.EncodeBatch"/>
    public TokenBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength, bool padToMaxLength = false)
    {
        var rows = EncodeRows(texts, maxLength);
        return TokenBatchBuilder.RightPadded(rows, padToMaxLength ? maxLength : rows.Max(row => row.Length), PaddingTokenId);
    }

    /// <summary>Encodes several texts and left-pads them with <see cref="PaddingTokenId"/>: every row ends with its last token, as batched generation needs.</summary>
    /// <param name="texts">The texts; at least one.</param>
    /// <param name="maxLength">Most ids per text.</param>
    public TokenBatch EncodeBatchLeftPadded(IReadOnlyList<string> texts, int maxLength)
    {
        var rows = EncodeRows(texts, maxLength);
        return TokenBatchBuilder.LeftPadded(rows, rows.Max(row => row.Length), PaddingTokenId);
    }

    /// <summary>The text of the ids, special tokens (first, end, padding, unknown, added special tokens) left out.</summary>
    /// <param name="ids">Token ids, for example one row of generated ids.</param>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var kept = new List<int>(ids.Length);
        foreach (int id in ids)
        {
            if (id < 0) throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is negative; replace ignored label positions (-100) before decoding.");
            if (!_specialIds.Contains(id) && id != PaddingTokenId) kept.Add(id);
        }
        return _tokenizer.Decode(kept);
    }

    private int[][] EncodeRows(IReadOnlyList<string> texts, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) throw new ArgumentException("A batch needs at least one text.", nameof(texts));
        return texts.Select((text, b) => Encode(text ?? throw new ArgumentException($"Text {b} of the batch is null.", nameof(texts)), maxLength)).ToArray();
    }
}
