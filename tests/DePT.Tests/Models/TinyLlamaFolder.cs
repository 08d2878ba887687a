using System.Text.Json;
using System.Text.Json.Nodes;
using DePT.IO;
using DePT.Models;
using DePT.Models.Llama;
using DePT.Tests.IO;

namespace DePT.Tests.Models;

/// <summary>
/// A temporary Hugging Face folder of a tiny random LLaMA-family model (config.json and F32 safetensors, one file or
/// two shards with an index), as <c>save_pretrained</c> lays it out; deleted on dispose. Weights are N(0, 0.3²) (norm
/// gains 1 ± 0.2), large enough that attention is far from uniform.
/// </summary>
internal sealed class TinyLlamaFolder : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    private TinyLlamaFolder()
    {
    }

    public string Path => _folder.Path;

    /// <summary>Llama with grouped-query attention: d 16, 4 heads over 2 key/value heads of 4, F 24, 2 layers, V 40, untied head.</summary>
    public static JsonObject LlamaConfig() => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = "llama",
        ["vocab_size"] = 40,
        ["hidden_size"] = 16,
        ["intermediate_size"] = 24,
        ["num_hidden_layers"] = 2,
        ["num_attention_heads"] = 4,
        ["num_key_value_heads"] = 2,
        ["hidden_act"] = "silu",
        ["rms_norm_eps"] = 1e-5,
        ["max_position_embeddings"] = 64,
        ["rope_theta"] = 10000.0,
        ["tie_word_embeddings"] = false,
        ["bos_token_id"] = 1,
        ["eos_token_id"] = 2,
    };

    /// <summary>Qwen2: q/k/v biases, tied head, 4 heads over 1 key/value head.</summary>
    public static JsonObject Qwen2Config()
    {
        var config = LlamaConfig();
        config["architectures"] = new JsonArray("Qwen2ForCausalLM");
        config["model_type"] = "qwen2";
        config["num_key_value_heads"] = 1;
        config["tie_word_embeddings"] = true;
        return config;
    }

    /// <summary>Writes the config and random weights for it; <paramref name="shards"/> 2 splits them with an index.</summary>
    public static TinyLlamaFolder Create(JsonObject config, int seed, int shards = 1, Func<string, bool>? keep = null)
    {
        var folder = new TinyLlamaFolder();
        string json = config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(folder._folder.File("config.json"), json);
        var parsed = ModelConfig.Parse(json, "tiny/config.json") as LlamaConfig ?? throw new InvalidOperationException("not a llama config");
        var random = new Random(seed);
        var tensors = LlamaWeights.RequiredShapes(parsed)
            .Where(pair => keep?.Invoke(pair.Key) ?? true)
            .OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => SafetensorsTensor.Float32(pair.Key, Draw(random, pair.Key, pair.Value), [.. pair.Value.Select(d => (long)d)]))
            .ToList();
        if (shards == 1)
        {
            SafetensorsWriter.Write(folder._folder.File(ModelWeights.SingleFileName), tensors);
            return folder;
        }
        var map = new JsonObject();
        for (int shard = 0; shard < shards; shard++)
        {
            string file = $"model-{shard + 1:D5}-of-{shards:D5}.safetensors";
            var part = tensors.Where((_, i) => i % shards == shard).ToList();
            SafetensorsWriter.Write(folder._folder.File(file), part);
            foreach (var tensor in part) map[tensor.Name] = file;
        }
        var index = new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map };
        File.WriteAllText(folder._folder.File(SafetensorsIndex.FileName), index.ToJsonString());
        return folder;
    }

    /// <summary>
    /// Adds a byte-level BPE tokenizer.json of single letters (ids 0..25 for a..z, 26 for the space mark Ġ, no merges),
    /// &lt;|begin_of_text|&gt; 27 put first by the post-processor and &lt;|end_of_text|&gt; 28 as the end token, with a
    /// tokenizer_config.json naming it; the config's vocabulary must reach 29 and its eos should be 28.
    /// </summary>
    public void AddLetterTokenizer()
    {
        var vocabulary = new JsonObject();
        for (char c = 'a'; c <= 'z'; c++) vocabulary[c.ToString()] = c - 'a';
        vocabulary["Ġ"] = 26;
        var json = new JsonObject
        {
            ["added_tokens"] = new JsonArray(
                new JsonObject { ["id"] = 27, ["content"] = "<|begin_of_text|>", ["special"] = true },
                new JsonObject { ["id"] = 28, ["content"] = "<|end_of_text|>", ["special"] = true }),
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = true },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<|begin_of_text|>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocabulary, ["merges"] = new JsonArray() },
        };
        File.WriteAllText(_folder.File("tokenizer.json"), json.ToJsonString());
        File.WriteAllText(_folder.File("tokenizer_config.json"), """{"eos_token": "<|end_of_text|>"}""");
    }

    public void Dispose() => _folder.Dispose();

    private static float[] Draw(Random random, string name, int[] shape)
    {
        var values = ModelTestData.Normal(shape.Aggregate(1, (a, b) => a * b), 0.3, random);
        if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            for (int i = 0; i < values.Length; i++) values[i] = 1 + 0.2f * values[i] / 0.3f;
        return values;
    }
}
