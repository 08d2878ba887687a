using DePT.Backends.Cuda;
using DePT.Devices;
using DePT.Distributed;
using DePT.Tensors;
using DePT.Tests.Support;
using DePT.Training;

namespace DePT.Tests.Distributed;

/// <summary>
/// NCCL on the GPU: the binding and collectives on one device (ncclCommInitAll and ncclCommInitRank with one rank), and,
/// where two devices exist, collectives across them and a two-GPU data-parallel run against the one-GPU run, step by step.
/// </summary>
public class NcclGpuTests : GpuFixture
{
    private const int Steps = 6;

    [Test]
    public void LibraryVersion_IsNccl2()
    {
        var version = NcclCommunicator.LibraryVersion();
        TestContext.Out.WriteLine($"NCCL {version}");
        Assert.That(version.Major, Is.EqualTo(2));
        Assert.That(Environment.GetEnvironmentVariable("NCCL_NVLS_ENABLE"), Is.EqualTo("0"));
    }

    [Test]
    public void OneRank_InitAll_AllReduceIsTheIdentity_AndTheContextIsKept()
    {
        using var collective = new NcclCollective([Gpu]);
        using var a = Values(Gpu, DType.F32, 1.5f, 1000);
        using var b = Values(Gpu, DType.BF16, -2f, 77);

        collective.AllReduceSum([[a, b]]);
        collective.Broadcast([[a, b]], root: 0);

        Assert.That(a.ToFloatArray(), Is.All.EqualTo(1.5f));
        Assert.That(b.ToFloatArray(), Is.All.EqualTo(-2f));
        Gpu.Synchronize();   // the device's context is still the thread's current one
    }

    [Test]
    public void OneRank_JoinedWithAUniqueId_AllReduces()
    {
        byte[] id = NcclCommunicator.CreateUniqueId();
        Assert.That(id, Has.Length.EqualTo(128));
        using var communicator = NcclCommunicator.JoinRank(Gpu, id, rankCount: 1, rank: 0);
        using var tensor = Values(Gpu, DType.F32, 3f, 64);

        communicator.AllReduceSum(tensor);
        communicator.ThrowIfAsyncError();

        Assert.That(tensor.ToFloatArray(), Is.All.EqualTo(3f));
    }

    [Test]
    public void CreateAll_RefusesTwoRanksOnOneDevice() =>
        Assert.That(() => NcclCommunicator.CreateAll([Gpu, Gpu]), Throws.ArgumentException.With.Message.Contains("a device of its own"));

    [Test]
    public void TwoGpus_AllReduceSumsAndBroadcastCopies()
    {
        using var second = SecondGpu();
        using var collective = new NcclCollective([Gpu, second]);
        using var a0 = Values(Gpu, DType.F32, 1f, 100_003);
        using var a1 = Values(second, DType.F32, 2f, 100_003);
        using var b0 = Values(Gpu, DType.BF16, 0.5f, 129);
        using var b1 = Values(second, DType.BF16, 0.25f, 129);

        collective.AllReduceSum([[a0, b0], [a1, b1]]);
        Assert.That(a0.ToFloatArray(), Is.All.EqualTo(3f));
        Assert.That(a1.ToFloatArray(), Is.All.EqualTo(3f));
        Assert.That(b1.ToFloatArray(), Is.All.EqualTo(0.75f));

        a1.CopyFrom(Enumerable.Range(0, 100_003).Select(i => (float)i).ToArray());
        collective.Broadcast([[a0, b0], [a1, b1]], root: 1);
        Assert.That(a0.ToFloatArray(), Is.EqualTo(a1.ToFloatArray()));
    }

    [TestCase(RigKind.BertClassification)]
    [TestCase(RigKind.T5TextToText)]
    public void TwoGpus_FollowTheOneGpuRunStepByStep(RigKind kind)
    {
        using var second = SecondGpu();
        var examples = DataParallelRig.Examples(Steps * 9, seed: 3);
        float[] single, parallel;
        float[] singleValues;
        using (var rig = new DataParallelRig(kind, Gpu, initSeed: 5))
        {
            single = Losses(rig.Task, examples);
            singleValues = rig.Values();
        }
        using (var rank0 = new DataParallelRig(kind, Gpu, initSeed: 5))
        using (var rank1 = new DataParallelRig(kind, second, initSeed: 99))
        using (var collective = new NcclCollective([Gpu, second]))
        {
            parallel = Losses(new DataParallelTask([rank0.Task, rank1.Task], collective), examples);
            Assert.That(rank1.Values(), Is.EqualTo(rank0.Values()), "the replicas stay identical, bit for bit");
            Assert.That(rank0.Values(), Is.EqualTo(singleValues).Within(1e-3f), "and end where the one-GPU run does");
        }
        TestContext.Out.WriteLine($"{kind} 1 GPU:  {string.Join(" ", single.Select(l => l.ToString("F6")))}");
        TestContext.Out.WriteLine($"{kind} 2 GPUs: {string.Join(" ", parallel.Select(l => l.ToString("F6")))}");
        // fp32 with other rounding (cuBLAS tiles a shard's rows otherwise, the shards sum the prompt gradient over fewer rows
        // before NCCL adds them), which AdamW carries from step to step: 1e-4 relative. Weighting shards by rows instead of
        // target tokens is off by 3e-3 at the first step.
        Assert.That(parallel, Is.EqualTo(single).Within(1e-2).Percent);
    }

    /// <summary>Device 1, or the test is skipped saying why.</summary>
    private static CudaBackend SecondGpu()
    {
        int count = CudaProbe.Run().DeviceCount;
        if (count < 2) Assert.Ignore($"needs 2 CUDA devices; this machine has {count}.");
        return CudaBackend.Open(1);
    }

    private static float[] Losses(ITrainingTask task, IReadOnlyList<DePT.Data.Example> examples)
    {
        var losses = new float[Steps];
        for (int step = 0; step < Steps; step++)
        {
            losses[step] = task.AccumulateGradients(task.Encode(examples, [.. Enumerable.Range(step * 9, 9)]));
            task.Optimizer.Step();
        }
        return losses;
    }

    private static Tensor Values(CudaBackend backend, DType dtype, float value, int count)
    {
        var tensor = backend.Allocate(dtype, count);
        backend.Fill(tensor, value);
        return tensor;
    }
}
