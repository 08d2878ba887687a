namespace DePT.Benchmarks.Plan;

/// <summary>The models the harness knows, as data: a new shape is one line.</summary>
internal static class ModelShapes
{
    /// <summary>Every known shape, smallest first.</summary>
    public static IReadOnlyList<ModelShape> All { get; } =
    [
        //   name         d_model  enc dec heads d_kv  d_ff   feed_forward_proj  vocab
        new("t5-small",   512,     6,  6,  8,    64,   2048,  "relu",            32128),
        new("t5-base",    768,     12, 12, 12,   64,   3072,  "relu",            32128),
        new("t5-large",   1024,    24, 24, 16,   64,   4096,  "relu",            32128),
        new("t5-3b",      1024,    24, 24, 32,   128,  16384, "relu",            32128),
    ];

    /// <summary>The shape called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No shape has that name; the message lists the known ones.</exception>
    public static ModelShape Find(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown model '{name}'; known: {string.Join(", ", All.Select(m => m.Name))}.", nameof(name));
}
