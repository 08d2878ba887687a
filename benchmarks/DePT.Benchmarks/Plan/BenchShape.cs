namespace DePT.Benchmarks.Plan;

/// <summary>
/// A model shape the harness builds with random weights, of either family: T5 (<see cref="ModelShape"/>, the paper's
/// setting: input s = 256, target 8) or LLaMA (<see cref="LlamaShape"/>: a causal LM reading s = 512 source tokens then a
/// 64-token target).
/// </summary>
/// <param name="Name">The schema's model name, e.g. <c>t5-base</c>, <c>llama-2-7b</c>.</param>
/// <param name="ModelDim">d: the width of embeddings and prompts.</param>
internal abstract record BenchShape(string Name, int ModelDim)
{
    /// <summary>Parameters of the frozen model.</summary>
    public abstract long ParameterCount { get; }

    /// <summary>s: the input length rows are padded to (T5's encoder input, a causal LM's source).</summary>
    public abstract int InputLength { get; }

    /// <summary>Target tokens per example in training, and tokens generated at inference.</summary>
    public abstract int TargetLength { get; }

    /// <summary>Rows of DePT's A: every position the prompt input op adds a low-rank row to.</summary>
    public abstract int LowRankRows { get; }

    /// <summary>Whether rows with dynamic padding (lengths in [s/2, s], padded to the batch's longest) are measured.</summary>
    public abstract bool AllowsDynamicPadding { get; }
}
