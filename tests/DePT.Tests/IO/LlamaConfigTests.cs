using DePT.Models;

namespace DePT.Tests.IO;

/// <summary>LLaMA-family configs: Llama 2 and 3 (both rope layouts), Mistral, Qwen2, and errors that name the field.</summary>
public class LlamaConfigTests
{
    private const string Source = "/models/llama/config.json";

    // Llama 3.1 8B as published (transformers 4.x layout: rope_theta at the top, rope_scaling beside it).
    private const string Llama31 = """
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256, "hidden_size": 4096,
          "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
          "hidden_act": "silu", "rms_norm_eps": 1e-05, "max_position_embeddings": 131072, "rope_theta": 500000.0,
          "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
          "tie_word_embeddings": false, "attention_bias": false, "mlp_bias": false, "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009]
        }
        """;

    // The same written by transformers 5.x: everything rotary under rope_parameters.
    private const string Llama31V5 = """
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256, "hidden_size": 4096,
          "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
          "rms_norm_eps": 1e-05, "max_position_embeddings": 131072,
          "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
          "bos_token_id": 128000, "eos_token_id": 128001
        }
        """;

    private const string Qwen2 = """
        {
          "architectures": ["Qwen2ForCausalLM"], "vocab_size": 151936, "hidden_size": 896, "intermediate_size": 4864,
          "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
          "rope_theta": 1000000.0, "tie_word_embeddings": true, "use_sliding_window": false, "sliding_window": 32768,
          "eos_token_id": 151643
        }
        """;

    private const string Mistral = """
        {
          "architectures": ["MistralForCausalLM"], "model_type": "mistral", "vocab_size": 32000, "hidden_size": 4096,
          "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
          "head_dim": 128, "rope_theta": 10000.0, "sliding_window": 4096, "eos_token_id": 2, "bos_token_id": 1
        }
        """;

    [TestCase(Llama31)]
    [TestCase(Llama31V5)]
    public void Llama3ReadsGroupedHeadsAndItsRopeScalingInEitherLayout(string json)
    {
        var config = (LlamaConfig)ModelConfig.Parse(json, Source);
        Assert.Multiple(() =>
        {
            Assert.That(config.ModelType, Is.EqualTo("llama"));
            Assert.That((config.HiddenSize, config.IntermediateSize, config.NumLayers), Is.EqualTo((4096, 14336, 32)));
            Assert.That((config.NumHeads, config.NumKeyValueHeads, config.HeadDim), Is.EqualTo((32, 8, 128)));
            Assert.That((config.QueryWidth, config.KeyValueWidth), Is.EqualTo((4096, 1024)));
            Assert.That(config.HiddenActivation, Is.EqualTo(ActivationFunction.Silu));
            Assert.That(config.RmsNormEpsilon, Is.EqualTo(1e-5));
            Assert.That(config.Rope, Is.EqualTo(new RopeScaling(500000, RopeScalingKind.Llama3, 8, 1, 4, 8192)));
            Assert.That(config.TieWordEmbeddings, Is.False);
            Assert.That(config.HasQueryKeyValueBias || config.HasOutputBias, Is.False);
            Assert.That(config.BosTokenId, Is.EqualTo(128000));
            Assert.That(config.EosTokenIds[0], Is.EqualTo(128001));
            Assert.That(config.PadTokenId, Is.EqualTo(-1), "Llama has no pad token");
            Assert.That(config.SlidingWindow, Is.Null);
        });
    }

    [Test]
    public void Llama3EosMayBeAList() =>
        Assert.That(((LlamaConfig)ModelConfig.Parse(Llama31, Source)).EosTokenIds, Is.EqualTo(new[] { 128001, 128008, 128009 }));

    [Test]
    public void Qwen2IsFoundByItsArchitectureAndHasQkvBiasesAndATiedHead()
    {
        var config = (LlamaConfig)ModelConfig.Parse(Qwen2, Source);
        Assert.That(config.ModelType, Is.EqualTo("qwen2"));
        Assert.That(config.HasQueryKeyValueBias, Is.True);
        Assert.That(config.HasOutputBias, Is.False);
        Assert.That(config.TieWordEmbeddings, Is.True);
        Assert.That(config.HeadDim, Is.EqualTo(64));
        Assert.That(config.Rope, Is.EqualTo(new RopeScaling(1000000)));
        Assert.That(config.SlidingWindow, Is.Null, "use_sliding_window is false");
    }

    [Test]
    public void MistralKeepsItsExplicitHeadWidthAndWindow()
    {
        var config = (LlamaConfig)ModelConfig.Parse(Mistral, Source);
        Assert.That(config.HeadDim, Is.EqualTo(128));
        Assert.That(config.SlidingWindow, Is.EqualTo(4096));
    }

    [Test]
    public void LlamaAttentionBiasPutsBiasesOnAllFourProjections()
    {
        var config = (LlamaConfig)ModelConfig.Parse(Llama31.Replace("\"attention_bias\": false", "\"attention_bias\": true"), Source);
        Assert.That(config.HasQueryKeyValueBias && config.HasOutputBias);
    }

    [TestCase("\"num_key_value_heads\": 8", "\"num_key_value_heads\": 6", "num_key_value_heads", "does not divide num_attention_heads=32")]
    [TestCase("\"rope_type\": \"llama3\"", "\"rope_type\": \"yarn\"", "rope_scaling.rope_type", "supported rotary scalings: default, linear, llama3")]
    [TestCase("\"low_freq_factor\": 1.0, ", "", "rope_scaling.low_freq_factor", "is required but missing")]
    [TestCase("\"mlp_bias\": false", "\"mlp_bias\": true", "mlp_bias", "not supported")]
    [TestCase("\"hidden_act\": \"silu\"", "\"hidden_act\": \"quick_gelu\"", "hidden_act", "'quick_gelu'")]
    [TestCase("\"eos_token_id\": [128001, 128008, 128009]", "\"eos_token_id\": [128001, 200000]", "eos_token_id", "outside the vocabulary")]
    public void ErrorsNameTheField(string from, string to, string field, string message)
    {
        string json = Llama31.Replace(from, to);
        Assert.That(json, Is.Not.EqualTo(Llama31), "the edit applies");
        var error = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(json, Source));
        Assert.That(error!.FieldName, Is.EqualTo(field));
        Assert.That(error.Message, Does.Contain(message).And.Contain(Source));
    }
}
