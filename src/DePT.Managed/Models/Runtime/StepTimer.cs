using System.Diagnostics;
using DePT.Backends;
using DePT.Backends.Cuda;
using DePT.Devices;

namespace DePT.Models.Runtime;

/// <summary>
/// Times one step of device work and reads the peak memory it needed. On the CUDA backend the time is taken with
/// events around the queued work and the peak is <see cref="CudaMemoryPool.PeakBytes"/> after a
/// <see cref="CudaMemoryPool.ResetPeak"/>; on other backends a stopwatch spans the step and a synchronisation.
/// </summary>
public sealed class StepTimer : IDisposable
{
    private readonly IBackend _backend;
    private readonly CudaEvent? _start;
    private readonly CudaEvent? _end;

    /// <summary>A timer for steps run on <paramref name="backend"/>.</summary>
    public StepTimer(IBackend backend)
    {
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        if (backend is CudaBackend cuda)
        {
            _start = new CudaEvent(cuda.CudaDevice);
            _end = new CudaEvent(cuda.CudaDevice);
        }
    }

    /// <summary>Runs <paramref name="step"/> once and measures it; work queued before the call is waited for first.</summary>
    public StepMeasurement Measure(Action step)
    {
        ArgumentNullException.ThrowIfNull(step);
        _backend.Synchronize();
        if (_backend is CudaBackend cuda)
        {
            var pool = cuda.CudaDevice.Pool;
            pool.ResetPeak();
            long startBytes = pool.CurrentBytes;
            _start!.Record();
            step();
            _end!.Record();
            float ms = _end.MillisecondsSince(_start);
            _backend.Synchronize();
            return new StepMeasurement(ms, pool.PeakBytes, startBytes);
        }
        var clock = Stopwatch.StartNew();
        step();
        _backend.Synchronize();
        return new StepMeasurement(clock.Elapsed.TotalMilliseconds, null, null);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _end?.Dispose();
        _start?.Dispose();
    }
}
