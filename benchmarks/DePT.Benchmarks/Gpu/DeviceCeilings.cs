using DePT.Backends.Cuda;
using DePT.Benchmarks.Results;
using DePT.Devices;
using DePT.Diagnostics;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Benchmarks.Gpu;

/// <summary>
/// The device's ceilings, measured in the same run as the rows: the bf16 matrix rate (an 8192³ GEMM through the backend's
/// Linear op, random operands, CUDA events, median) and the device-to-device copy bandwidth.
/// </summary>
internal static class DeviceCeilings
{
    /// <summary>The GEMM's edge.</summary>
    public const int GemmSize = 8192;

    /// <summary>Bytes of the copy measurement.</summary>
    public const long CopyBytes = 1L << 30;

    /// <summary>Measures both ceilings with <paramref name="runs"/> timed repetitions each.</summary>
    public static BenchCeilings Measure(CudaBackend backend, int runs)
    {
        double tflops = MeasureGemmTflops(backend, runs);
        double copy = PromptInputCheck.MeasureCopyGBps(backend, CopyBytes, runs);
        backend.CudaDevice.Pool.ReleaseCached();
        return new BenchCeilings { Bf16MatmulTflops = tflops, CopyGbps = copy };
    }

    /// <summary>TFLOP/s of output (n, n) = input (n, n) · weightᵀ in bf16 with fp32 accumulation: 2·n³ FLOPs a run.</summary>
    public static double MeasureGemmTflops(CudaBackend backend, int runs)
    {
        const int n = GemmSize;
        using var input = backend.Allocate(DType.BF16, n, n);
        using var weight = backend.Allocate(DType.BF16, n, n);
        using var output = backend.Allocate(DType.BF16, n, n);
        DeviceRandom.FillUniform(backend, input, -1f, 1f, seed: 3, stream: 0);
        DeviceRandom.FillUniform(backend, weight, -1f, 1f, seed: 3, stream: 1);
        for (int i = 0; i < 3; i++) backend.Linear(output, input, weight, null, accumulate: false);
        backend.Synchronize();

        using var start = new CudaEvent(backend.CudaDevice);
        using var stop = new CudaEvent(backend.CudaDevice);
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            start.Record();
            backend.Linear(output, input, weight, null, accumulate: false);
            stop.Record();
            times[i] = stop.MillisecondsSince(start);
        }
        double ms = StepStatistics.Of(times).Median;
        return 2.0 * n * n * n / (ms * 1e-3) / 1e12;
    }
}
