using System.Globalization;
using DePT.Models;

namespace DePT.Benchmarks.Plan;

/// <summary>
/// The shape of a T5 model the harness builds with random weights: everything the step's FLOPs and memory depend on.
/// </summary>
/// <param name="Name">The schema's model name, e.g. <c>t5-base</c>.</param>
/// <param name="ModelDim">d_model.</param>
/// <param name="EncoderLayers">num_layers.</param>
/// <param name="DecoderLayers">num_decoder_layers.</param>
/// <param name="Heads">num_heads.</param>
/// <param name="HeadDim">d_kv.</param>
/// <param name="FeedForwardDim">d_ff.</param>
/// <param name="FeedForwardProj">feed_forward_proj: <c>relu</c> (T5 v1.0) or <c>gated-gelu</c> (v1.1).</param>
/// <param name="VocabSize">vocab_size.</param>
internal sealed record ModelShape(string Name, int ModelDim, int EncoderLayers, int DecoderLayers, int Heads, int HeadDim,
    int FeedForwardDim, string FeedForwardProj, int VocabSize) : BenchShape(Name, ModelDim)
{
    /// <summary>relative_attention_num_buckets, the same for every shape.</summary>
    public const int RelativeBuckets = 32;

    /// <summary>Attention width H·d_kv (T5 does not tie it to d_model: T5-3B has 4096 against d 1024).</summary>
    public int InnerDim => Heads * HeadDim;

    /// <summary>Whether the feed-forward block is gated (its input projection is then 2·d_ff wide).</summary>
    public bool IsGated => FeedForwardProj.StartsWith("gated-", StringComparison.Ordinal);

    /// <inheritdoc />
    public override int InputLength => BenchPlan.InputLength;

    /// <inheritdoc />
    public override int TargetLength => BenchPlan.TargetLength;

    /// <inheritdoc />
    public override int LowRankRows => BenchPlan.InputLength;

    /// <inheritdoc />
    public override bool AllowsDynamicPadding => true;

    /// <summary>Parameters of the frozen model (tied embedding and LM head counted once, one relative-bias table per stack).</summary>
    public override long ParameterCount
    {
        get
        {
            long d = ModelDim, inner = InnerDim, ff = FeedForwardDim, wi = IsGated ? 2 * ff : ff;
            long attention = 4 * d * inner;
            long feedForward = wi * d + ff * d;
            long encoder = EncoderLayers * (attention + feedForward + 2 * d);
            long decoder = DecoderLayers * (2 * attention + feedForward + 3 * d);
            return (long)VocabSize * d + encoder + decoder + 2 * d + 2L * RelativeBuckets * Heads;
        }
    }

    /// <summary>The Hugging Face config.json this shape stands for (dropout 0.1, tied embeddings, 32 buckets).</summary>
    public string ConfigJson => string.Create(CultureInfo.InvariantCulture, $$"""
        {"model_type": "t5", "vocab_size": {{VocabSize}}, "d_model": {{ModelDim}}, "d_kv": {{HeadDim}}, "d_ff": {{FeedForwardDim}},
         "num_layers": {{EncoderLayers}}, "num_decoder_layers": {{DecoderLayers}}, "num_heads": {{Heads}},
         "relative_attention_num_buckets": {{RelativeBuckets}}, "relative_attention_max_distance": 128, "feed_forward_proj": "{{FeedForwardProj}}",
         "dropout_rate": 0.1, "tie_word_embeddings": true}
        """);

    /// <summary>The parsed config the runtime takes.</summary>
    public T5Config ToConfig() => (T5Config)ModelConfig.Parse(ConfigJson, $"benchmark shape {Name}");

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name} (d {ModelDim}, {EncoderLayers}+{DecoderLayers} layers, {Heads} heads × {HeadDim}, d_ff {FeedForwardDim} {FeedForwardProj}, vocab {VocabSize})";
}
