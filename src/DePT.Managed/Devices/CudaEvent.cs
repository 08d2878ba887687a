using DePT.Native;

namespace DePT.Devices;

/// <summary>A CUDA event on a device's stream, for timing device work without host clocks.</summary>
public sealed class CudaEvent : IDisposable
{
    private readonly CudaDevice _device;
    private CUevent _event;

    /// <summary>Creates a timing event on <paramref name="device"/>.</summary>
    public CudaEvent(CudaDevice device)
    {
        _device = device;
        device.MakeCurrent();
        CudaException.ThrowIfFailed(CudaDriver.cuEventCreate(out _event, CUevent_flags.CU_EVENT_DEFAULT));
    }

    /// <summary>Records the event after the work queued so far.</summary>
    public void Record()
    {
        _device.MakeCurrent();
        CudaException.ThrowIfFailed(CudaDriver.cuEventRecord(_event, _device.Stream));
    }

    /// <summary>Milliseconds from <paramref name="start"/> to this event (waits for this event).</summary>
    public float MillisecondsSince(CudaEvent start)
    {
        _device.MakeCurrent();
        CudaException.ThrowIfFailed(CudaDriver.cuEventSynchronize(_event));
        CudaException.ThrowIfFailed(CudaDriver.cuEventElapsedTime_v2(out float ms, start._event, _event));
        return ms;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_event.IsNull) return;
        _device.MakeCurrent();
        CudaDriver.cuEventDestroy_v2(_event);
        _event = default;
    }
}
