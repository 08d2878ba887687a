using System.Text.Json;
using DePT.Backends;
using DePT.Backends.Cuda;
using DePT.Benchmarks.Results;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Benchmarks.Gpu;

/// <summary>
/// Our attention op alone, fused against unfused, forward and forward + backward, on T5 encoder self-attention shapes
/// (bf16 Q, K, V; T5 relative bias from a (32, H) table, bidirectional; key padding mask), timed with CUDA events after a
/// warm-up (median of the runs) and with the pool's peak above what the inputs hold. The unfused path gets the same table
/// (it materialises the (H, T, T) bias itself), so both paths do the whole op.
/// </summary>
internal static class AttentionBench
{
    /// <summary>One measured (length, path) pair.</summary>
    internal sealed record Row(string Path, int Batch, int Heads, int HeadDim, int Length, double ForwardMs, double ForwardBackwardMs,
        double ForwardBackwardTflops, long PeakBytesAboveInputs, long SavedBytes);

    /// <summary>Measures every length with both paths, prints a table, writes JSON to <paramref name="outputPath"/> when given.</summary>
    public static int Run(int batch, int heads, int headDim, IReadOnlyList<int> lengths, int runs, string? outputPath, int device)
    {
        using var backend = CudaBackend.Open(device);
        var rows = new List<Row>();
        foreach (int length in lengths)
            foreach (var path in new[] { AttentionPath.Unfused, AttentionPath.Auto })
            {
                backend.AttentionPath = path;
                var row = Measure(backend, path == AttentionPath.Auto ? "fused" : "unfused", batch, heads, headDim, length, runs);
                rows.Add(row);
                Console.WriteLine($"{row.Path,-8} B={batch} H={heads} dh={headDim} T={length,5}: forward {row.ForwardMs,8:F3} ms, forward+backward {row.ForwardBackwardMs,8:F3} ms " +
                                  $"({row.ForwardBackwardTflops,6:F1} TFLOP/s), peak above inputs {row.PeakBytesAboveInputs / 1048576.0,9:F1} MiB, saved {row.SavedBytes / 1048576.0,9:F1} MiB");
                backend.CudaDevice.Pool.ReleaseCached();
            }
        foreach (int length in lengths)
        {
            var unfused = rows.First(r => r.Length == length && r.Path == "unfused");
            var fused = rows.First(r => r.Length == length && r.Path == "fused");
            Console.WriteLine($"T={length}: fused/unfused forward+backward time {fused.ForwardBackwardMs / unfused.ForwardBackwardMs:F3} " +
                              $"(speed-up {unfused.ForwardBackwardMs / fused.ForwardBackwardMs:F2}x), peak memory {(double)fused.PeakBytesAboveInputs / unfused.PeakBytesAboveInputs:F3}");
        }
        if (outputPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
            File.WriteAllText(outputPath, JsonSerializer.Serialize(new { benchmark = "attention", device = backend.CudaDevice.Name, rows }, new JsonSerializerOptions { WriteIndented = true }));
        }
        return 0;
    }

    private static Row Measure(CudaBackend backend, string pathName, int batch, int heads, int headDim, int length, int runs)
    {
        int width = heads * headDim;
        using var query = backend.Allocate(DType.BF16, batch, length, width);
        using var key = backend.Allocate(DType.BF16, batch, length, width);
        using var value = backend.Allocate(DType.BF16, batch, length, width);
        using var dOutput = backend.Allocate(DType.BF16, batch, length, width);
        using var output = backend.Allocate(DType.BF16, batch, length, width);
        using var dQuery = backend.Allocate(DType.BF16, batch, length, width);
        using var dKey = backend.Allocate(DType.BF16, batch, length, width);
        using var dValue = backend.Allocate(DType.BF16, batch, length, width);
        using var table = backend.Allocate(DType.F32, 32, heads);
        using var mask = backend.Allocate(DType.I32, batch, length);
        DeviceRandom.FillUniform(backend, query, -1f, 1f, seed: 11, stream: 0);
        DeviceRandom.FillUniform(backend, key, -1f, 1f, seed: 11, stream: 1);
        DeviceRandom.FillUniform(backend, value, -1f, 1f, seed: 11, stream: 2);
        DeviceRandom.FillUniform(backend, dOutput, -1f, 1f, seed: 11, stream: 3);
        DeviceRandom.FillUniform(backend, table, -1f, 1f, seed: 11, stream: 4);
        // right padding as a batch padded to its longest example: example b keeps length − (7b mod length/4) keys
        var maskValues = new int[batch * length];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < length - 7 * b % Math.Max(1, length / 4); j++) maskValues[b * length + j] = 1;
        mask.CopyFrom(maskValues);
        var bias = PositionBias.Relative(table, bidirectional: true, maxDistance: 128);
        var options = new AttentionOptions(heads);
        long saved = 0;

        void Forward()
        {
            using var state = backend.Attention(output, query, key, value, mask, bias, options);
            saved = state.SavedBytes;
        }

        void ForwardBackward()
        {
            using var state = backend.Attention(output, query, key, value, mask, bias, options);
            backend.AttentionBackward(dQuery, dKey, dValue, dOutput, query, key, value, state);
        }

        using var timer = new StepTimer(backend);
        for (int i = 0; i < 3; i++) ForwardBackward();
        var forward = new double[runs];
        var both = new double[runs];
        long peak = 0, start = 0;
        for (int i = 0; i < runs; i++)
        {
            forward[i] = timer.Measure(Forward).Milliseconds;
            var m = timer.Measure(ForwardBackward);
            both[i] = m.Milliseconds;
            peak = Math.Max(peak, m.PeakPoolBytes ?? 0);
            start = m.StartPoolBytes ?? 0;
        }
        double ms = StepStatistics.Of(both).Median;
        // forward 4·B·H·T²·dh (Q·Kᵀ and P·V), backward 10·B·H·T²·dh (S recomputed, dP, dV, dK, dQ)
        double flops = 14.0 * batch * heads * (double)length * length * headDim;
        return new Row(pathName, batch, heads, headDim, length, StepStatistics.Of(forward).Median, ms, flops / (ms * 1e-3) / 1e12, peak - start, saved);
    }
}
