using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DePT.Benchmarks.Results;

/// <summary>One dept-bench/1 file: a run of one implementation on one device (benchmarks/README.md, "Result schema").</summary>
internal sealed record BenchRun
{
    /// <summary>The only schema this harness reads and writes.</summary>
    public const string SchemaName = "dept-bench/1";

    /// <summary>This project's implementation name.</summary>
    public const string Ours = "dept";

    /// <summary>Always <see cref="SchemaName"/>.</summary>
    [JsonPropertyName("schema")] public string Schema { get; init; } = SchemaName;

    /// <summary><c>dept</c> or <c>pytorch</c>.</summary>
    [JsonPropertyName("implementation")] public required string Implementation { get; init; }

    /// <summary>UTC time of the run, ISO 8601.</summary>
    [JsonPropertyName("date")] public string? Date { get; init; }

    /// <summary>The git commit measured, or <c>unknown</c>.</summary>
    [JsonPropertyName("commit")] public string? Commit { get; init; }

    /// <summary>The device's name.</summary>
    [JsonPropertyName("device")] public string? Device { get; init; }

    /// <summary>Versions of what ran (free-form).</summary>
    [JsonPropertyName("software")] public JsonObject? Software { get; init; }

    /// <summary>The ceilings measured in this run.</summary>
    [JsonPropertyName("ceilings")] public BenchCeilings? Ceilings { get; init; }

    /// <summary>The measured rows, error rows included.</summary>
    [JsonPropertyName("rows")] public IReadOnlyList<BenchRow> Rows { get; init; } = [];
}
