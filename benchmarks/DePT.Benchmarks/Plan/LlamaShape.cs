using System.Globalization;
using DePT.Models;

namespace DePT.Benchmarks.Plan;

/// <summary>
/// A LLaMA-family shape the harness builds with random bf16 weights, measured as a causal LM: each example is
/// <see cref="SourceLength"/> source tokens then <see cref="GeneratedLength"/> target tokens with labels on the target
/// only; the prompt goes first (PEFT's placement). Inference continues the source by the target length.
/// </summary>
/// <param name="Name">The schema's model name, e.g. <c>llama-2-7b</c>.</param>
/// <param name="ModelDim">hidden_size.</param>
/// <param name="Layers">num_hidden_layers.</param>
/// <param name="Heads">num_attention_heads.</param>
/// <param name="KeyValueHeads">num_key_value_heads.</param>
/// <param name="FeedForwardDim">intermediate_size.</param>
/// <param name="VocabSize">vocab_size.</param>
/// <param name="RopeParametersJson">The <c>rope_parameters</c> object of its config.</param>
internal sealed record LlamaShape(string Name, int ModelDim, int Layers, int Heads, int KeyValueHeads, int FeedForwardDim, int VocabSize,
    string RopeParametersJson) : BenchShape(Name, ModelDim)
{
    /// <summary>Source tokens per example: the s = 512.</summary>
    public const int SourceLength = 512;

    /// <summary>Target tokens per example, and tokens generated at inference: 64.</summary>
    public const int GeneratedLength = 64;

    /// <inheritdoc />
    public override int InputLength => SourceLength;

    /// <inheritdoc />
    public override int TargetLength => GeneratedLength;

    /// <summary>The source and the target: a causal LM reads the target tokens too, so A has a row for each.</summary>
    public override int LowRankRows => SourceLength + GeneratedLength;

    /// <summary>Source and target are one sequence: rows are full length.</summary>
    public override bool AllowsDynamicPadding => false;

    /// <summary>Head width d / H.</summary>
    public int HeadDim => ModelDim / Heads;

    /// <summary>Parameters: embeddings and an untied LM head, q/o (d × H·dh), k/v (d × Hkv·dh), gate/up/down, two norms per layer and the final one.</summary>
    public override long ParameterCount
    {
        get
        {
            long d = ModelDim, inner = (long)Heads * HeadDim, kv = (long)KeyValueHeads * HeadDim, ff = FeedForwardDim;
            long layer = 2 * d * inner + 2 * d * kv + 3 * d * ff + 2 * d;
            return 2L * VocabSize * d + Layers * layer + d;
        }
    }

    /// <summary>The config the runtime takes.</summary>
    public LlamaConfig ToConfig() => (LlamaConfig)ModelConfig.Parse(string.Create(CultureInfo.InvariantCulture, $$"""
        {"model_type": "llama", "vocab_size": {{VocabSize}}, "hidden_size": {{ModelDim}}, "intermediate_size": {{FeedForwardDim}},
         "num_hidden_layers": {{Layers}}, "num_attention_heads": {{Heads}}, "num_key_value_heads": {{KeyValueHeads}},
         "rms_norm_eps": 1e-5, "max_position_embeddings": 8192, "rope_parameters": {{RopeParametersJson}}, "tie_word_embeddings": false}
        """), $"benchmark shape {Name}");

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name} (d {ModelDim}, {Layers} layers, {Heads} heads over {KeyValueHeads} key/value heads × {HeadDim}, intermediate {FeedForwardDim}, vocab {VocabSize})";
}
