namespace DePT.Benchmarks.Plan;

/// <summary>Every shape the harness knows, T5 then LLaMA, as data: a new shape is one line.</summary>
internal static class BenchShapes
{
    /// <summary>The LLaMA shapes of the issue's measurement: Llama-2-7B (multi-head) and Llama-3-8B (8 key/value heads, Llama-3 rope).</summary>
    public static IReadOnlyList<LlamaShape> Llama { get; } =
    [
        //   name          d     layers heads kv  intermediate vocab   rope_parameters
        new("llama-2-7b", 4096, 32,    32,   32, 11008,       32000,  """{"rope_type": "default", "rope_theta": 10000.0}"""),
        new("llama-3-8b", 4096, 32,    32,   8,  14336,       128256, """{"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}"""),
    ];

    /// <summary>Every known shape: <see cref="ModelShapes.All"/>, then <see cref="Llama"/>.</summary>
    public static IReadOnlyList<BenchShape> All { get; } = [.. ModelShapes.All, .. Llama];

    /// <summary>The shape called <paramref name="name"/> (case-insensitive), of either family.</summary>
    /// <exception cref="ArgumentException">No shape has that name; the message lists the known ones.</exception>
    public static BenchShape Find(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown model '{name}'; known: {string.Join(", ", All.Select(m => m.Name))}.", nameof(name));
}
