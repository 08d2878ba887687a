using DePT.Models;

namespace DePT.Tests.IO;

/// <summary>config.json parsing with the values of real checkpoints, and the errors for bad ones.</summary>
public sealed class ModelConfigTests
{
    // t5-small as published: no feed_forward_proj, relative_attention_max_distance or tie_word_embeddings.
    private const string T5Small = """
        {
          "architectures": ["T5ForConditionalGeneration"],
          "d_ff": 2048,
          "d_kv": 64,
          "d_model": 512,
          "decoder_start_token_id": 0,
          "dropout_rate": 0.1,
          "eos_token_id": 1,
          "initializer_factor": 1.0,
          "is_encoder_decoder": true,
          "layer_norm_epsilon": 1e-06,
          "model_type": "t5",
          "n_positions": 512,
          "num_heads": 8,
          "num_layers": 6,
          "output_past": true,
          "pad_token_id": 0,
          "relative_attention_num_buckets": 32,
          "task_specific_params": {"summarization": {"prefix": "summarize: "}},
          "vocab_size": 32128
        }
        """;

    // google/t5-v1_1-base: gated GELU, untied head, dropout off for fine-tuning checkpoints elsewhere.
    private const string T5V11Base = """
        {
          "architectures": ["T5ForConditionalGeneration"],
          "d_ff": 2048,
          "d_kv": 64,
          "d_model": 768,
          "decoder_start_token_id": 0,
          "dropout_rate": 0.1,
          "eos_token_id": 1,
          "feed_forward_proj": "gated-gelu",
          "initializer_factor": 1.0,
          "is_encoder_decoder": true,
          "layer_norm_epsilon": 1e-06,
          "model_type": "t5",
          "num_decoder_layers": 12,
          "num_heads": 12,
          "num_layers": 12,
          "output_past": true,
          "pad_token_id": 0,
          "relative_attention_num_buckets": 32,
          "tie_word_embeddings": false,
          "vocab_size": 32128
        }
        """;

    // sentence-transformers/all-MiniLM-L6-v2.
    private const string MiniLM = """
        {
          "_name_or_path": "nreimers/MiniLM-L6-H384-uncased",
          "architectures": ["BertModel"],
          "attention_probs_dropout_prob": 0.1,
          "gradient_checkpointing": false,
          "hidden_act": "gelu",
          "hidden_dropout_prob": 0.1,
          "hidden_size": 384,
          "initializer_range": 0.02,
          "intermediate_size": 1536,
          "layer_norm_eps": 1e-12,
          "max_position_embeddings": 512,
          "model_type": "bert",
          "num_attention_heads": 12,
          "num_hidden_layers": 6,
          "pad_token_id": 0,
          "position_embedding_type": "absolute",
          "transformers_version": "4.8.2",
          "type_vocab_size": 2,
          "use_cache": true,
          "vocab_size": 30522
        }
        """;

    private const string Source = "/models/test/config.json";

    /// <summary>A copy of <paramref name="json"/> with one top-level field set to <paramref name="rawValue"/> or, when null, removed.</summary>
    private static string WithField(string json, string field, string? rawValue)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node.Remove(field);
        if (rawValue is not null)
        {
            node[field] = System.Text.Json.Nodes.JsonNode.Parse(rawValue);
        }
        return node.ToJsonString();
    }

    [Test]
    public void T5SmallParsesWithV10Defaults()
    {
        var config = (T5Config)ModelConfig.Parse(T5Small, Source);
        Assert.That(config.ModelType, Is.EqualTo("t5"));
        Assert.That(config.SourcePath, Is.EqualTo(Source));
        Assert.That(config.Architectures, Is.EqualTo(new[] { "T5ForConditionalGeneration" }));
        Assert.That(config.VocabSize, Is.EqualTo(32128));
        Assert.That(config.ModelDim, Is.EqualTo(512));
        Assert.That(config.HeadDim, Is.EqualTo(64));
        Assert.That(config.FeedForwardDim, Is.EqualTo(2048));
        Assert.That(config.NumLayers, Is.EqualTo(6));
        Assert.That(config.NumDecoderLayers, Is.EqualTo(6), "defaults to num_layers");
        Assert.That(config.NumHeads, Is.EqualTo(8));
        Assert.That(config.RelativeAttentionNumBuckets, Is.EqualTo(32));
        Assert.That(config.RelativeAttentionMaxDistance, Is.EqualTo(128), "absent in t5-small; defaults to 128");
        Assert.That(config.DropoutRate, Is.EqualTo(0.1));
        Assert.That(config.LayerNormEpsilon, Is.EqualTo(1e-6));
        Assert.That(config.FeedForwardProj, Is.EqualTo("relu"));
        Assert.That(config.IsGatedFeedForward, Is.False);
        Assert.That(config.FeedForwardActivation, Is.EqualTo(ActivationFunction.Relu));
        Assert.That(config.TieWordEmbeddings, Is.True);
        Assert.That(config.PadTokenId, Is.EqualTo(0));
        Assert.That(config.EosTokenId, Is.EqualTo(1));
        Assert.That(config.DecoderStartTokenId, Is.EqualTo(0));
    }

    [Test]
    public void T5V11BaseIsGatedTanhGeluWithAnUntiedHead()
    {
        var config = (T5Config)ModelConfig.Parse(T5V11Base, Source);
        Assert.That(config.ModelDim, Is.EqualTo(768));
        Assert.That(config.FeedForwardDim, Is.EqualTo(2048));
        Assert.That(config.NumLayers, Is.EqualTo(12));
        Assert.That(config.NumDecoderLayers, Is.EqualTo(12));
        Assert.That(config.NumHeads, Is.EqualTo(12));
        Assert.That(config.FeedForwardProj, Is.EqualTo("gated-gelu"));
        Assert.That(config.IsGatedFeedForward, Is.True);
        Assert.That(config.FeedForwardActivation, Is.EqualTo(ActivationFunction.GeluTanh), "gated-gelu means gelu_new");
        Assert.That(config.TieWordEmbeddings, Is.False);
    }

    [TestCase("gelu", false, ActivationFunction.Gelu)]
    [TestCase("gated-silu", true, ActivationFunction.Silu)]
    [TestCase("gated-relu", true, ActivationFunction.Relu)]
    [TestCase("gated-gelu_new", true, ActivationFunction.GeluTanh)]
    public void FeedForwardProjSplitsGateAndActivation(string value, bool gated, ActivationFunction activation)
    {
        var config = (T5Config)ModelConfig.Parse(WithField(T5V11Base, "feed_forward_proj", $"\"{value}\""), Source);
        Assert.That(config.IsGatedFeedForward, Is.EqualTo(gated));
        Assert.That(config.FeedForwardActivation, Is.EqualTo(activation));
    }

    [TestCase("gated-gelu-x")]
    [TestCase("double-gelu")]
    [TestCase("gated-swishy")]
    public void BadFeedForwardProjIsNamed(string value)
    {
        var error = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(WithField(T5V11Base, "feed_forward_proj", $"\"{value}\""), Source));
        Assert.That(error!.FieldName, Is.EqualTo("feed_forward_proj"));
        Assert.That(error.Message, Does.Contain(Source).And.Contain(value));
    }

    [Test]
    public void MiniLMParsesAsBert()
    {
        var config = (BertConfig)ModelConfig.Parse(MiniLM, Source);
        Assert.That(config.ModelType, Is.EqualTo("bert"));
        Assert.That(config.Architectures, Is.EqualTo(new[] { "BertModel" }));
        Assert.That(config.VocabSize, Is.EqualTo(30522));
        Assert.That(config.HiddenSize, Is.EqualTo(384));
        Assert.That(config.NumHiddenLayers, Is.EqualTo(6));
        Assert.That(config.NumAttentionHeads, Is.EqualTo(12));
        Assert.That(config.HeadDim, Is.EqualTo(32));
        Assert.That(config.IntermediateSize, Is.EqualTo(1536));
        Assert.That(config.HiddenActName, Is.EqualTo("gelu"));
        Assert.That(config.HiddenAct, Is.EqualTo(ActivationFunction.Gelu), "BERT's gelu is the erf form");
        Assert.That(config.HiddenDropoutProb, Is.EqualTo(0.1));
        Assert.That(config.AttentionProbsDropoutProb, Is.EqualTo(0.1));
        Assert.That(config.MaxPositionEmbeddings, Is.EqualTo(512));
        Assert.That(config.TypeVocabSize, Is.EqualTo(2));
        Assert.That(config.LayerNormEps, Is.EqualTo(1e-12));
        Assert.That(config.PadTokenId, Is.EqualTo(0));
    }

    [TestCase("gelu_new", ActivationFunction.GeluTanh)]
    [TestCase("gelu_pytorch_tanh", ActivationFunction.GeluTanh)]
    [TestCase("relu", ActivationFunction.Relu)]
    [TestCase("swish", ActivationFunction.Silu)]
    public void BertHiddenActNamesMapToActivations(string name, ActivationFunction expected) =>
        Assert.That(((BertConfig)ModelConfig.Parse(WithField(MiniLM, "hidden_act", $"\"{name}\""), Source)).HiddenAct, Is.EqualTo(expected));

    [TestCase("gpt2")]
    [TestCase("T5")]
    public void UnknownModelTypeNamesTheValueTheFileAndTheSupportedTypes(string modelType)
    {
        var error = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(WithField(T5Small, "model_type", $"\"{modelType}\""), Source));
        Assert.That(error!.FieldName, Is.EqualTo("model_type"));
        Assert.That(error.FilePath, Is.EqualTo(Source));
        Assert.That(error.Message, Does.Contain($"'{modelType}'").And.Contain(Source).And.Contain("bert, llama, mistral, mt5, qwen2, t5"));
    }

    [TestCase("[\"T5ForConditionalGeneration\"]", "t5", typeof(T5Config))]
    [TestCase("[\"MT5ForConditionalGeneration\"]", "mt5", typeof(T5Config))]
    [TestCase("[\"BertForSequenceClassification\"]", "bert", typeof(BertConfig))]
    public void WithoutModelTypeTheArchitecturesDecide(string architectures, string modelType, Type configType)
    {
        string json = WithField(configType == typeof(BertConfig) ? MiniLM : T5Small, "model_type", null);
        var config = ModelConfig.Parse(WithField(json, "architectures", architectures), Source);
        Assert.That(config.ModelType, Is.EqualTo(modelType));
        Assert.That(config, Is.InstanceOf(configType));
    }

    [Test]
    public void WithNeitherModelTypeNorAKnownArchitectureTheErrorSaysSo()
    {
        string json = WithField(WithField(T5Small, "model_type", null), "architectures", "[\"GPT2LMHeadModel\"]");
        var error = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(json, Source));
        Assert.That(error!.Message, Does.Contain("GPT2LMHeadModel").And.Contain("is missing").And.Contain("t5"));
    }

    [TestCase("d_model", null, "is required but missing")]
    [TestCase("d_model", "0", "is 0; it must be a positive integer")]
    [TestCase("num_heads", "-8", "is -8; it must be a positive integer")]
    [TestCase("d_ff", "2048.5", "is 2048.5, expected an integer")]
    [TestCase("d_kv", "\"64\"", "is \"64\", expected an integer")]
    [TestCase("vocab_size", null, "is required but missing")]
    [TestCase("num_decoder_layers", "0", "must be a positive integer")]
    [TestCase("dropout_rate", "1.0", "a dropout probability lies in [0, 1)")]
    [TestCase("layer_norm_epsilon", "0", "must be a positive finite number")]
    [TestCase("tie_word_embeddings", "\"yes\"", "expected true or false")]
    [TestCase("eos_token_id", "32128", "outside the vocabulary [0, 32128)")]
    [TestCase("pad_token_id", "-1", "outside the vocabulary")]
    [TestCase("feed_forward_proj", "7", "expected a string")]
    [TestCase("architectures", "\"T5\"", "expected an array of strings")]
    public void InvalidT5FieldsAreNamed(string field, string? rawValue, string fragment)
    {
        var error = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(WithField(T5Small, field, rawValue), Source));
        Assert.That(error!.FieldName, Is.EqualTo(field));
        Assert.That(error.Message, Does.Contain(Source).And.Contain($"'{field}'").And.Contain(fragment));
    }

    [TestCase("num_attention_heads", "5", "does not divide hidden_size 384")]
    [TestCase("hidden_size", null, "is required but missing")]
    [TestCase("intermediate_size", "-1", "must be a positive integer")]
    [TestCase("hidden_act", "\"quick_gelu\"", "supported: relu, gelu")]
    [TestCase("position_embedding_type", "\"relative_key\"", "only 'absolute' is supported")]
    [TestCase("attention_probs_dropout_prob", "-0.1", "dropout probability")]
    public void InvalidBertFieldsAreNamed(string field, string? rawValue, string fragment)
    {
        var error = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(WithField(MiniLM, field, rawValue), Source));
        Assert.That(error!.FieldName, Is.EqualTo(field));
        Assert.That(error.Message, Does.Contain(Source).And.Contain(fragment));
    }

    [Test]
    public void NullFieldsTakeTheirDefaults()
    {
        var config = (T5Config)ModelConfig.Parse(WithField(T5V11Base, "num_decoder_layers", "null"), Source);
        Assert.That(config.NumDecoderLayers, Is.EqualTo(config.NumLayers));
    }

    [TestCase("{\"model_type\": \"t5\",", "not valid JSON")]
    [TestCase("[1, 2]", "expected an object")]
    public void MalformedJsonIsReportedWithTheFile(string json, string fragment)
    {
        var error = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(json, Source));
        Assert.That(error!.FieldName, Is.Null);
        Assert.That(error.Message, Does.Contain(Source).And.Contain(fragment));
    }

    [Test]
    public void LoadReadsConfigJsonFromAFolderAndChecksTheFamily()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File(ModelConfig.FileName), MiniLM);

        var config = ModelConfig.Load(folder.Path);
        Assert.That(config, Is.InstanceOf<BertConfig>());
        Assert.That(config.SourcePath, Is.EqualTo(folder.File(ModelConfig.FileName)));
        Assert.That(ModelConfig.Load<BertConfig>(folder.File(ModelConfig.FileName)).HiddenSize, Is.EqualTo(384));

        var wrongFamily = Assert.Throws<ModelConfigException>(() => ModelConfig.Load<T5Config>(folder.Path));
        Assert.That(wrongFamily!.Message, Does.Contain("'bert'").And.Contain(nameof(T5Config)).And.Contain(folder.File(ModelConfig.FileName)));

        File.Delete(folder.File(ModelConfig.FileName));
        var noConfig = Assert.Throws<FileNotFoundException>(() => ModelConfig.Load(folder.Path));
        Assert.That(noConfig!.Message, Does.Contain(folder.Path).And.Contain("config.json"));
        Assert.Throws<DirectoryNotFoundException>(() => ModelConfig.Load(folder.File("absent")));
    }
}
