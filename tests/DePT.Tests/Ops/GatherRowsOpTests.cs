using DePT.Backends.Cpu;
using DePT.Tensors;
using static DePT.Tests.Ops.OpTest;

namespace DePT.Tests.Ops;

/// <summary>GatherRows picks the listed rows; its backward puts them back and zeros the rest; bad index lists are refused.</summary>
public class GatherRowsOpTests
{
    private readonly CpuBackend _cpu = new();

    [TestCase(DType.F32)]
    [TestCase(DType.BF16)]
    public void GatherAndItsBackward(DType dtype)
    {
        var rng = NewRandom();
        const int rows = 9, d = 5;
        int[] indices = [7, 0, 4];
        var values = Values(rng, rows * d);
        using var input = Upload(_cpu, values, dtype, 3, 3, d);
        using var index = Upload(_cpu, indices, indices.Length);
        using var output = Poisoned(_cpu, dtype, indices.Length, d);
        _cpu.GatherRows(output, input, index);
        var stored = Rounded(values, dtype);
        Assert.That(output.ToFloatArray(), Is.EqualTo(indices.SelectMany(i => stored.Skip(i * d).Take(d)).ToArray()));

        var gradient = Values(rng, indices.Length * d);
        using var dOutput = Upload(_cpu, gradient, DType.F32, indices.Length, d);
        using var dInput = Poisoned(_cpu, dtype, 3, 3, d);
        _cpu.GatherRowsBackward(dInput, dOutput, index);
        var expected = new float[rows * d];
        for (int k = 0; k < indices.Length; k++) Array.Copy(Rounded(gradient, dtype), k * d, expected, indices[k] * d, d);
        Assert.That(dInput.ToFloatArray(), Is.EqualTo(expected));
    }

    [Test]
    public void BadIndexListsAreRefused()
    {
        using var input = _cpu.Allocate(DType.F32, 4, 3);
        using var output = _cpu.Allocate(DType.F32, 2, 3);
        using var outside = Upload(_cpu, [1, 4], 2);
        Assert.That(() => _cpu.GatherRows(output, input, outside), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Row index 4 at place 1"));
        using var twice = Upload(_cpu, [2, 2], 2);
        Assert.That(() => _cpu.GatherRowsBackward(input, output, twice), Throws.ArgumentException.With.Message.Contains("appears twice"));
        using var short1 = Upload(_cpu, [0], 1);
        Assert.That(() => _cpu.GatherRows(output, input, short1), Throws.ArgumentException.With.Message.Contains("one index per row"));
    }
}
