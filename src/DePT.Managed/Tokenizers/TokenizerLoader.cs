using System.Text.Json;
using DePT.IO;

namespace DePT.Tokenizers;

/// <summary>Picks and loads the tokenizer of a Hugging Face model folder.</summary>
public static class TokenizerLoader
{
    /// <summary>File name of the tokenizer settings that <see cref="FromFolder"/> reads when present.</summary>
    public const string ConfigFileName = "tokenizer_config.json";

    /// <summary>File name of a BERT WordPiece vocabulary.</summary>
    public const string WordPieceVocabularyFileName = "vocab.txt";

    /// <summary>
    /// Loads the folder's tokenizer: spiece.model gives a <see cref="SentencePieceTokenizer"/> (T5); tokenizer.model a
    /// SentencePiece BPE <see cref="CausalLmTokenizer"/> (Llama 2, Mistral); tokenizer.json a byte-level BPE
    /// <see cref="CausalLmTokenizer"/> (Llama 3, Qwen2); vocab.txt a <see cref="WordPieceTokenizer"/> (BERT). From
    /// tokenizer_config.json, when the folder has one, it takes <c>extra_ids</c> (T5's sentinel count, default 100),
    /// <c>do_lower_case</c> (default true), <c>strip_accents</c> (default: follow lower-casing), and <c>eos_token</c> and
    /// <c>pad_token</c> (tokenizer.json), as transformers does.
    /// </summary>
    /// <param name="folder">The model folder.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has neither file; the message lists what was looked for.</exception>
    /// <exception cref="InvalidDataException">A tokenizer file or tokenizer_config.json is malformed; the message
    /// names the file (and the field).</exception>
    public static ITextTokenizer FromFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Tokenizer folder '{folder}' does not exist.");
        TokenizerSettings settings = ReadSettings(Path.Combine(folder, ConfigFileName));

        string sentencePiecePath = Path.Combine(folder, SentencePieceTokenizer.ModelFileName);
        if (File.Exists(sentencePiecePath))
            return SentencePieceTokenizer.FromFile(sentencePiecePath, settings.ExtraIds ?? SentencePieceTokenizer.DefaultExtraIdCount);
        string bpeModelPath = Path.Combine(folder, CausalLmTokenizer.SentencePieceFileName);
        if (File.Exists(bpeModelPath))
            return CausalLmTokenizer.FromSentencePiece(bpeModelPath);
        string tokenizerJsonPath = Path.Combine(folder, CausalLmTokenizer.TokenizerJsonFileName);
        if (File.Exists(tokenizerJsonPath))
            return CausalLmTokenizer.FromTokenizerJson(tokenizerJsonPath, settings.EndOfSequenceToken, settings.PaddingToken);
        string vocabularyPath = Path.Combine(folder, WordPieceVocabularyFileName);
        if (File.Exists(vocabularyPath))
            return WordPieceTokenizer.FromFile(vocabularyPath, settings.DoLowerCase ?? true, settings.StripAccents);
        throw new FileNotFoundException(
            $"No tokenizer in '{folder}': looked for {SentencePieceTokenizer.ModelFileName} (SentencePiece, T5), " +
            $"{CausalLmTokenizer.SentencePieceFileName} (SentencePiece BPE, Llama 2, Mistral), {CausalLmTokenizer.TokenizerJsonFileName} " +
            $"(byte-level BPE, Llama 3, Qwen2) and {WordPieceVocabularyFileName} (WordPiece, BERT).");
    }

    private readonly record struct TokenizerSettings(int? ExtraIds, bool? DoLowerCase, bool? StripAccents, string? EndOfSequenceToken, string? PaddingToken);

    private static TokenizerSettings ReadSettings(string path)
    {
        if (!File.Exists(path))
            return default;
        using (var document = JsonFile.Parse(path, e => new InvalidDataException($"Tokenizer settings '{path}' are not valid JSON: {e.Message}", e)))
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"Tokenizer settings '{path}' hold a JSON {root.ValueKind}, not an object.");
            return new TokenizerSettings(
                ExtraIds: ReadExtraIds(root, path),
                DoLowerCase: ReadBoolean(root, "do_lower_case", path),
                StripAccents: ReadBoolean(root, "strip_accents", path),
                EndOfSequenceToken: ReadToken(root, "eos_token", path),
                PaddingToken: ReadToken(root, "pad_token", path));
        }
    }

    private static int? ReadExtraIds(JsonElement root, string path)
    {
        if (!root.TryGetProperty("extra_ids", out JsonElement value))
            return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int count) || count < 0)
            throw new InvalidDataException($"Tokenizer settings '{path}': \"extra_ids\" is {value.GetRawText()}, expected a count ≥ 0.");
        return count;
    }

    // null (transformers' "not set") and a missing field both mean the default.
    private static bool? ReadBoolean(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw new InvalidDataException($"Tokenizer settings '{path}': \"{name}\" is {value.GetRawText()}, expected true, false or null.");
        return value.GetBoolean();
    }

    // A token is written as its text or as an AddedToken object {"content": text, ...}; null means none.
    private static string? ReadToken(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind == JsonValueKind.String)
            return value.GetString();
        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.String)
            return content.GetString();
        throw new InvalidDataException($"Tokenizer settings '{path}': \"{name}\" is {value.GetRawText()}, expected a string or {{\"content\": ...}}.");
    }
}
