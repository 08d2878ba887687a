using System.Text.Json.Serialization;

namespace DePT.Benchmarks.Results;

/// <summary>The device's ceilings measured in the same run as the rows.</summary>
internal sealed record BenchCeilings
{
    /// <summary>An 8192³ bf16 GEMM's rate, TFLOP/s.</summary>
    [JsonPropertyName("bf16_matmul_tflops")] public double? Bf16MatmulTflops { get; init; }

    /// <summary>Device-to-device copy bandwidth counting bytes read + written, GB/s.</summary>
    [JsonPropertyName("copy_gbps")] public double? CopyGbps { get; init; }
}
