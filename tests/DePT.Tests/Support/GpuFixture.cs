using DePT.Backends.Cuda;
using DePT.Devices;

namespace DePT.Tests.Support;

/// <summary>Base of GPU test classes: opens CUDA device 0 once, or skips every test saying why.</summary>
[Category("Gpu")]
public abstract class GpuFixture
{
    private CudaBackend? _backend;

    /// <summary>The CUDA backend of device 0.</summary>
    protected CudaBackend Gpu => _backend ?? throw new InvalidOperationException("The GPU fixture is not set up.");

    [OneTimeSetUp]
    public void OpenDevice()
    {
        var probe = CudaProbe.Run();
        if (!probe.IsAvailable) Assert.Ignore($"No CUDA device: {probe.Reason}");
        _backend = CudaBackend.Open(0);
    }

    [OneTimeTearDown]
    public void CloseDevice() => _backend?.Dispose();
}
