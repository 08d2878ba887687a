using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Backends.Cuda;
using DePT.Devices;
using DePT.Native;
using DePT.Tensors;

namespace DePT.Diagnostics;

/// <summary>
/// Runs the fused DePT input forward on a backend against the CPU reference, and on CUDA times it with
/// events and compares its bandwidth with a device-to-device copy measured in the same run.
/// </summary>
public static class PromptInputCheck
{
    /// <summary>Relative error of <paramref name="backend"/>'s forward against the CPU backend on fresh data.</summary>
    public static double ForwardError(IBackend backend, PromptInputProblem problem, DType outputType, DType embeddingType, int seed)
    {
        var data = problem.Generate(seed, embeddingType);
        using var cpu = new CpuBackend();
        var expected = RunForward(cpu, data, DType.F32, DType.F32);
        var actual = RunForward(backend, data, outputType, embeddingType);
        return ErrorMetrics.Relative(actual, expected);
    }

    /// <summary>Runs the forward once on fresh outputs poisoned with NaN and returns them as floats.</summary>
    public static float[] RunForward(IBackend backend, PromptInputData data, DType outputType, DType embeddingType)
    {
        var p = data.Problem;
        using var tensors = data.Upload(backend, embeddingType, DType.F32);
        using var output = backend.Allocate(outputType, p.Batch, p.TotalLen, p.Dim);
        output.FillBytes(0xFF);
        backend.PromptInputForward(output, tensors.TokenIds, tensors.Embeddings, tensors.Parameters(p.LowRankScale), tensors.PromptIndex, 1f);
        backend.Synchronize();
        return output.ToFloatArray();
    }

    /// <summary>Median milliseconds and achieved GB/s of the forward, with the copy bandwidth beside it.</summary>
    public static BandwidthReport MeasureForward(CudaBackend backend, PromptInputProblem problem, DType outputType, DType embeddingType, int runs = 50)
    {
        var data = problem.Generate(seed: 1, embeddingType);
        using var tensors = data.Upload(backend, embeddingType, DType.F32);
        using var output = backend.Allocate(outputType, problem.Batch, problem.TotalLen, problem.Dim);
        var parameters = tensors.Parameters(problem.LowRankScale);
        double ms = MedianMilliseconds(backend, runs,
            () => backend.PromptInputForward(output, tensors.TokenIds, tensors.Embeddings, parameters, tensors.PromptIndex, 1f));
        backend.Synchronize();
        long bytes = problem.ForwardBytes(outputType, embeddingType);
        return new BandwidthReport(ms, bytes / (ms * 1e6), MeasureCopyGBps(backend, 1L << 30, runs));
    }

    /// <summary>Device-to-device copy bandwidth, counting bytes read plus bytes written, in GB/s.</summary>
    public static unsafe double MeasureCopyGBps(CudaBackend backend, long bytes, int runs = 50)
    {
        var device = backend.CudaDevice;
        using var source = backend.Allocate(DType.F32, checked((int)(bytes / 4)));
        using var target = backend.Allocate(DType.F32, checked((int)(bytes / 4)));
        source.FillBytes(0x3C);
        var src = ((DeviceStorage)source.Storage).Pointer;
        var dst = ((DeviceStorage)target.Storage).Pointer;
        double ms = MedianMilliseconds(backend, runs,
            () => CudaException.ThrowIfFailed(CudaDriver.cuMemcpyDtoDAsync_v2(dst, src, (nuint)bytes, device.Stream)));
        return 2.0 * bytes / (ms * 1e6);
    }

    private static double MedianMilliseconds(CudaBackend backend, int runs, Action work)
    {
        var device = backend.CudaDevice;
        using var start = new CudaEvent(device);
        using var stop = new CudaEvent(device);
        // A buffer larger than L2, rewritten between runs, so each run starts with a cold cache.
        using var flush = backend.Allocate(DType.F32, Math.Max(device.L2CacheBytes, 1 << 20) * 2 / 4);
        for (int i = 0; i < 3; i++) work();
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            flush.FillBytes((byte)i);
            start.Record();
            work();
            stop.Record();
            times[i] = stop.MillisecondsSince(start);
        }
        Array.Sort(times);
        return times[runs / 2];
    }
}
