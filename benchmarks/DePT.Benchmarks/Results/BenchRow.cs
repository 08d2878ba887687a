using System.Text.Json.Serialization;

namespace DePT.Benchmarks.Results;

/// <summary>
/// One row of a dept-bench/1 file: a model × method × batch × padding measured by one implementation. The numbers are
/// null on an error row (<see cref="Error"/> says why) and where an implementation did not measure them.
/// </summary>
internal sealed record BenchRow
{
    /// <summary><c>t5-small</c>, <c>t5-base</c>, <c>t5-large</c> or <c>t5-3b</c>.</summary>
    [JsonPropertyName("model")] public required string Model { get; init; }

    /// <summary><c>frozen</c>, <c>pt</c> or <c>dept</c>.</summary>
    [JsonPropertyName("method")] public required string Method { get; init; }

    /// <summary>L for PT, m for DePT, 0 for frozen.</summary>
    [JsonPropertyName("prompt_len")] public int PromptLen { get; init; }

    /// <summary>r for DePT, 0 otherwise.</summary>
    [JsonPropertyName("rank")] public int Rank { get; init; }

    /// <summary>m·d + r·(s + d).</summary>
    [JsonPropertyName("trainable_params")] public long TrainableParams { get; init; }

    /// <summary>Examples per step.</summary>
    [JsonPropertyName("batch")] public int Batch { get; init; }

    /// <summary>s, the length rows are padded to (the longest with dynamic padding).</summary>
    [JsonPropertyName("input_len")] public int InputLen { get; init; }

    /// <summary>Decoder length of training and tokens generated at inference.</summary>
    [JsonPropertyName("target_len")] public int TargetLen { get; init; }

    /// <summary>Whether each batch is padded only to its longest example.</summary>
    [JsonPropertyName("dynamic_padding")] public bool DynamicPadding { get; init; }

    /// <summary>Median training-step time (forward, backward, optimiser), ms.</summary>
    [JsonPropertyName("train_step_ms")] public double? TrainStepMs { get; init; }

    /// <summary>10th percentile of the step time, ms.</summary>
    [JsonPropertyName("train_step_ms_p10")] public double? TrainStepMsP10 { get; init; }

    /// <summary>90th percentile of the step time, ms.</summary>
    [JsonPropertyName("train_step_ms_p90")] public double? TrainStepMsP90 { get; init; }

    /// <summary>Steps timed after the warm-up.</summary>
    [JsonPropertyName("timed_steps")] public int? TimedSteps { get; init; }

    /// <summary>Peak device memory of the training loop, GiB (ours: the pool's high-water mark; weights included).</summary>
    [JsonPropertyName("peak_gib")] public double? PeakGib { get; init; }

    /// <summary>The driver's free-memory drop over the model and its training loop, GiB.</summary>
    [JsonPropertyName("peak_gib_driver")] public double? PeakGibDriver { get; init; }

    /// <summary>batch·(prompt_len + input_len + target_len) / step time.</summary>
    [JsonPropertyName("train_tokens_per_s")] public double? TrainTokensPerS { get; init; }

    /// <summary>Counted FLOPs of one step / 1e12 (<see cref="FlopCounter"/>).</summary>
    [JsonPropertyName("step_tflop")] public double? StepTflop { get; init; }

    /// <summary>step_tflop / step seconds.</summary>
    [JsonPropertyName("achieved_tflops")] public double? AchievedTflops { get; init; }

    /// <summary>Median latency of encoder + greedy decoding of target_len tokens for the batch, ms.</summary>
    [JsonPropertyName("infer_ms")] public double? InferMs { get; init; }

    /// <summary>batch / inference seconds.</summary>
    [JsonPropertyName("infer_sequences_per_s")] public double? InferSequencesPerS { get; init; }

    /// <summary>Not in the schema: a label that tells apart rows of one implementation (e.g. eager, compile).</summary>
    [JsonPropertyName("variant"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Variant { get; init; }

    /// <summary>Not in the schema: mean padded input length over the step batches (dynamic padding).</summary>
    [JsonPropertyName("mean_input_len"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? MeanInputLen { get; init; }

    /// <summary>Not in the schema: tokens greedy decoding produced (it stops early when every row has emitted EOS).</summary>
    [JsonPropertyName("infer_new_tokens"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? InferNewTokens { get; init; }

    /// <summary>Not in the schema: the loss of the last warm-up step (a finite, positive value shows the step computed something).</summary>
    [JsonPropertyName("loss"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Loss { get; init; }

    /// <summary>Not in the schema: why this row has no numbers (out of memory, time limit, failure).</summary>
    [JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Error { get; init; }

    /// <summary>The row's method as the tables print it: <c>frozen</c>, <c>PT 100</c>, <c>DePT 60/30</c>.</summary>
    [JsonIgnore]
    public string MethodLabel => Method switch
    {
        "frozen" => "frozen",
        "pt" => $"PT {PromptLen}",
        "dept" => $"DePT {PromptLen}/{Rank}",
        _ => $"{Method} {PromptLen}/{Rank}",
    };
}
