using DePT.Backends.Cpu;
using DePT.Distributed;
using DePT.Tensors;

namespace DePT.Tests.Distributed;

public class HostCollectiveTests
{
    [Test]
    public void AllReduceSum_LeavesTheSumOnEveryRank_AndBroadcastCopiesTheRoot()
    {
        var backends = new[] { new CpuBackend(), new CpuBackend(), new CpuBackend() };
        var tensors = backends.Select((b, r) => (IReadOnlyList<Tensor>)[Filled(b, r + 1f, 2, 3), Filled(b, 10f * (r + 1), 4)]).ToArray();
        using var collective = new HostCollective(3);

        collective.AllReduceSum(tensors);

        foreach (var rank in tensors)
        {
            Assert.That(rank[0].ToFloatArray(), Is.All.EqualTo(6f));
            Assert.That(rank[1].ToFloatArray(), Is.All.EqualTo(60f));
        }

        tensors[2][1].CopyFrom(new float[] { 1, 2, 3, 4 });
        collective.Broadcast(tensors, root: 2);
        foreach (var rank in tensors) Assert.That(rank[1].ToFloatArray(), Is.EqualTo(new float[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void Operations_RefuseMismatchedRanks_NamingRankAndTensor()
    {
        var cpu = new CpuBackend();
        using var collective = new HostCollective(2);

        Assert.That(() => collective.AllReduceSum([[Filled(cpu, 1, 3)], [Filled(cpu, 1, 4)]]),
            Throws.ArgumentException.With.Message.Contains("tensor 0 of rank 1 is f32[4], on rank 0 it is f32[3]"));
        Assert.That(() => collective.AllReduceSum([[Filled(cpu, 1, 3)]]), Throws.ArgumentException.With.Message.Contains("1 lists of tensors for 2 ranks"));
        Assert.That(() => collective.Broadcast([[Filled(cpu, 1, 3)], [Filled(cpu, 1, 3)]], root: 2), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    private static Tensor Filled(CpuBackend backend, float value, params int[] shape)
    {
        var tensor = backend.Allocate(DType.F32, shape);
        backend.Fill(tensor, value);
        return tensor;
    }
}
