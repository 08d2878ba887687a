using DePT.Backends.Cuda;
using DePT.Devices;

namespace DePT.Tests.Devices;

/// <summary>Without a CUDA driver, opening a device fails with a message saying what was missing.</summary>
public class CudaAvailabilityTests
{
    [Test]
    public void OpeningCudaWithoutADriverSaysWhy()
    {
        var probe = CudaProbe.Run();
        if (probe.IsAvailable) Assert.Ignore("A CUDA device is present; this test covers machines without one.");
        var e = Assert.Throws<CudaUnavailableException>(() => CudaBackend.Open(0));
        Assert.That(e!.Message, Does.Contain("CUDA is not available").And.Contain(probe.Reason));
        Assert.That(probe.Reason, Is.Not.Empty);
    }

    [TestCase("cpu", DeviceKind.Cpu, 0)]
    [TestCase("cuda", DeviceKind.Cuda, 0)]
    [TestCase("cuda:3", DeviceKind.Cuda, 3)]
    public void DevicesParse(string text, DeviceKind kind, int ordinal)
    {
        var device = Device.Parse(text);
        Assert.That((device.Kind, device.Ordinal), Is.EqualTo((kind, ordinal)));
    }

    [TestCase("tpu")]
    [TestCase("cuda:-1")]
    [TestCase("cuda:x")]
    public void BadDeviceNamesAreRefused(string text) =>
        Assert.That(() => Device.Parse(text), Throws.TypeOf<FormatException>().With.Message.Contains(text));
}
