using DePT.Models;
using static DePT.Tensors.DType;

namespace DePT.Tests.OpsGpu;

/// <summary>Rotary embeddings and their backward on CUDA against the CPU: LLaMA query and key shapes, per-example positions, in place.</summary>
public class RotaryGpuTests : OpsGpuTest
{
    public sealed record Case(string Name, int Batch, int Length, int Heads, int HeadDim, int MaxPosition)
    {
        public override string ToString() => Name;
    }

    private static readonly Case[] Shapes =
    [
        new("tiny", 1, 1, 1, 2, 4),
        new("llama-queries", 2, 37, 8, 64, 4096),
        new("llama-keys", 3, 17, 2, 128, 131072),
        new("odd-half", 2, 5, 3, 6, 100),
    ];

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var c in Shapes)
            foreach (var dtype in new[] { F32, BF16 })
                yield return new TestCaseData(c, dtype).SetArgDisplayNames($"{c.Name} {dtype}");
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndBackwardMatchCpu(Case c, Tensors.DType dtype)
    {
        int width = c.Heads * c.HeadDim;
        var rope = new RopeScaling(500000, RopeScalingKind.Llama3, 8, 1, 4, 8192);
        var frequencies = Input(rope.InverseFrequencies(c.HeadDim), F32, c.HeadDim / 2);
        var positions = Ints(Enumerable.Range(0, c.Batch * c.Length).Select(_ => Rng.Next(c.MaxPosition)).ToArray(), c.Batch, c.Length);
        var input = Input(Values((long)c.Batch * c.Length * width), dtype, c.Batch, c.Length, width);
        var output = Poisoned(dtype, c.Batch, c.Length, width);
        Both((be, g) => be.RotaryEmbedding(output.On(g), input.On(g), positions.On(g), frequencies.On(g), c.Heads));
        AssertClose(output, $"{c} rotary");

        var dOutput = Input(Values((long)c.Batch * c.Length * width), dtype, c.Batch, c.Length, width);
        var dInput = Poisoned(dtype, c.Batch, c.Length, width);
        Both((be, g) => be.RotaryEmbeddingBackward(dInput.On(g), dOutput.On(g), positions.On(g), frequencies.On(g), c.Heads));
        AssertClose(dInput, $"{c} rotary backward");

        // in place, as the model applies it to its projected queries and keys
        Both((be, g) => be.RotaryEmbedding(input.On(g), input.On(g), positions.On(g), frequencies.On(g), c.Heads));
        AssertClose(input, $"{c} rotary in place");
    }
}
