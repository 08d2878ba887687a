using System.Text.Json;
using DePT.IO;

namespace DePT.Tokenizers;

/// <summary>
/// What a Hugging Face <c>tokenizer.json</c> of a byte-level BPE model (Llama 3, Qwen2, GPT-2 style) holds for
/// <see cref="CausalLmTokenizer"/>: the vocabulary and merges, the added (special) tokens, the pre-tokenizer's split
/// pattern, and the token its post-processor puts first (Llama 3's &lt;|begin_of_text|&gt;). Errors name the file and field.
/// </summary>
internal sealed class TokenizerJsonFile
{
    /// <summary>GPT-2's split pattern: a ByteLevel pre-tokenizer with <c>use_regex</c> and no Split of its own.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private TokenizerJsonFile(Dictionary<string, int> vocabulary, List<string> merges, Dictionary<string, int> addedTokens, HashSet<int> specialIds,
        string splitPattern, string? firstToken)
    {
        Vocabulary = vocabulary;
        Merges = merges;
        AddedTokens = addedTokens;
        SpecialIds = specialIds;
        SplitPattern = splitPattern;
        FirstToken = firstToken;
    }

    public Dictionary<string, int> Vocabulary { get; }

    /// <summary>Merges as "left right" strings, highest priority first.</summary>
    public List<string> Merges { get; }

    /// <summary>Added tokens (content → id), special or not.</summary>
    public Dictionary<string, int> AddedTokens { get; }

    /// <summary>Ids of the added tokens marked special: decoding leaves them out.</summary>
    public HashSet<int> SpecialIds { get; }

    public string SplitPattern { get; }

    /// <summary>The special token the post-processor puts before every sequence, or null.</summary>
    public string? FirstToken { get; }

    public static TokenizerJsonFile Load(string path)
    {
        using (var document = JsonFile.Parse(path, e => new InvalidDataException($"Tokenizer '{path}' is not valid JSON: {e.Message}", e)))
        {
            var root = document.RootElement;
            var model = Property(root, "model", path);
            string type = model.TryGetProperty("type", out var typeElement) ? typeElement.GetString() ?? "" : "";
            if (type != "BPE")
                throw new InvalidDataException($"Tokenizer '{path}': model.type is '{type}'; only byte-level BPE tokenizer.json files are supported (SentencePiece models load from tokenizer.model).");
            if (!HasByteLevel(root))
                throw new InvalidDataException($"Tokenizer '{path}': no ByteLevel pre-tokenizer or decoder; only byte-level BPE is supported.");

            var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in Property(model, "vocab", path).EnumerateObject())
                vocabulary[entry.Name] = entry.Value.GetInt32();
            var merges = new List<string>();
            foreach (var merge in Property(model, "merges", path).EnumerateArray())
            {
                // older files write "a b", newer ones ["a", "b"]
                merges.Add(merge.ValueKind == JsonValueKind.Array
                    ? $"{merge[0].GetString()} {merge[1].GetString()}"
                    : merge.GetString() ?? throw new InvalidDataException($"Tokenizer '{path}': a merge is null."));
            }

            var added = new Dictionary<string, int>(StringComparer.Ordinal);
            var special = new HashSet<int>();
            if (root.TryGetProperty("added_tokens", out var addedTokens) && addedTokens.ValueKind == JsonValueKind.Array)
            {
                foreach (var token in addedTokens.EnumerateArray())
                {
                    int id = Property(token, "id", path).GetInt32();
                    added[Property(token, "content", path).GetString()!] = id;
                    if (token.TryGetProperty("special", out var isSpecial) && isSpecial.ValueKind == JsonValueKind.True) special.Add(id);
                }
            }
            return new TokenizerJsonFile(vocabulary, merges, added, special, SplitPatternOf(root) ?? Gpt2Pattern, FirstTokenOf(root));
        }
    }

    private static JsonElement Property(JsonElement element, string name, string path) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : throw new InvalidDataException($"Tokenizer '{path}' has no \"{name}\".");

    /// <summary>The pre-tokenizer and its Sequence members, flattened.</summary>
    private static IEnumerable<JsonElement> Components(JsonElement root, string field, string listField)
    {
        if (!root.TryGetProperty(field, out var component) || component.ValueKind != JsonValueKind.Object) yield break;
        yield return component;
        if (component.TryGetProperty(listField, out var list) && list.ValueKind == JsonValueKind.Array)
            foreach (var item in list.EnumerateArray()) yield return item;
    }

    private static string? TypeOf(JsonElement component) =>
        component.TryGetProperty("type", out var type) ? type.GetString() : null;

    private static bool HasByteLevel(JsonElement root) =>
        Components(root, "pre_tokenizer", "pretokenizers").Concat(Components(root, "decoder", "decoders")).Any(c => TypeOf(c) == "ByteLevel");

    private static string? SplitPatternOf(JsonElement root)
    {
        foreach (var component in Components(root, "pre_tokenizer", "pretokenizers"))
            if (TypeOf(component) == "Split" && component.TryGetProperty("pattern", out var pattern) && pattern.TryGetProperty("Regex", out var regex))
                return regex.GetString();
        return null;
    }

    private static string? FirstTokenOf(JsonElement root)
    {
        foreach (var component in Components(root, "post_processor", "processors"))
        {
            if (TypeOf(component) != "TemplateProcessing" || !component.TryGetProperty("single", out var single) || single.GetArrayLength() == 0) continue;
            var first = single[0];
            return first.TryGetProperty("SpecialToken", out var token) ? token.GetProperty("id").GetString() : null;
        }
        return null;
    }
}
