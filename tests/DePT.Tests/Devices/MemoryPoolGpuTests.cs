using DePT.Devices;
using DePT.Tensors;
using DePT.Tests.Support;

namespace DePT.Tests.Devices;

/// <summary>The caching pool: reuse, current and peak bytes, and the out-of-memory message.</summary>
public class MemoryPoolGpuTests : GpuFixture
{
    [Test]
    public void PeakFollowsTheHighWaterMarkAndBlocksAreReused()
    {
        var pool = Gpu.CudaDevice.Pool;
        long baseline = pool.CurrentBytes;
        pool.ResetPeak();
        var a = Gpu.Allocate(DType.F32, 1000, 1000);
        var b = Gpu.Allocate(DType.BF16, 3000, 1000);
        long both = pool.CurrentBytes - baseline;
        Assert.That(both, Is.EqualTo(CudaMemoryPool.RoundSize(4_000_000) + CudaMemoryPool.RoundSize(6_000_000)));
        a.Dispose();
        Assert.That(pool.CurrentBytes - baseline, Is.EqualTo(CudaMemoryPool.RoundSize(6_000_000)));
        Assert.That(pool.PeakBytes - baseline, Is.EqualTo(both));
        long reserved = pool.ReservedBytes;
        var again = Gpu.Allocate(DType.F32, 1000, 1000);
        Assert.That(pool.ReservedBytes, Is.EqualTo(reserved), "a block of the same size must come from the cache");
        again.Dispose();
        b.Dispose();
        Assert.That(pool.CurrentBytes, Is.EqualTo(baseline));
    }

    [Test]
    public void TensorsRoundTripThroughTheDevice()
    {
        var rng = new Random(TestContext.CurrentContext.Random.Next());
        var values = Enumerable.Range(0, 4099).Select(_ => rng.NextSingle() * 8 - 4).ToArray();
        using var f32 = Gpu.Allocate(DType.F32, values.Length);
        f32.CopyFrom(values);
        Assert.That(f32.ToFloatArray(), Is.EqualTo(values));
        using var bf16 = Gpu.Allocate(DType.BF16, values.Length);
        bf16.CopyFrom(values);
        var back = bf16.ToFloatArray();
        for (int i = 0; i < values.Length; i++)
            Assert.That(back[i], Is.EqualTo(values[i]).Within(Math.Abs(values[i]) / 256 + 1e-30));
    }

    [Test]
    public void AnImpossibleAllocationNamesTheSizeAndTheFreeMemory()
    {
        var e = Assert.Throws<DeviceOutOfMemoryException>(() => Gpu.Allocate(DType.F32, 1 << 30, 1 << 10));
        Assert.That(e!.Message, Does.Contain("4096.00 GiB").And.Contain("free"));
        Assert.That(e.RequestedBytes, Is.EqualTo(4L << 40));
    }
}
