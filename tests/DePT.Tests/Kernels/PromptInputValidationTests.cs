using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Diagnostics;
using DePT.Tensors;

namespace DePT.Tests.Kernels;

/// <summary>Bad input to the DePT input op: each case an exception whose message names the values.</summary>
public class PromptInputValidationTests
{
    private readonly CpuBackend _cpu = new();
    private static readonly PromptInputProblem Problem = new(2, 6, 3, 16, 2, 8, 20, NumPrompts: 2);

    [Test]
    public void TokenIdOutsideVocabularyIsNamed()
    {
        var data = Problem.Generate(1);
        data.TokenIds[7] = 20;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PromptInputCheck.RunForward(_cpu, data, DType.F32, DType.F32));
        Assert.That(e!.Message, Does.Contain("Token id 20").And.Contain("[0, 20)").And.Contain("example 1"));
    }

    [Test]
    public void NegativeTokenIdIsNamed()
    {
        var data = Problem.Generate(2);
        data.TokenIds[0] = -3;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PromptInputCheck.RunForward(_cpu, data, DType.F32, DType.F32));
        Assert.That(e!.Message, Does.Contain("Token id -3"));
    }

    [Test]
    public void PromptIndexOutsideThePromptsIsNamed()
    {
        var data = Problem.Generate(3);
        data.PromptIndex![1] = 2;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PromptInputCheck.RunForward(_cpu, data, DType.F32, DType.F32));
        Assert.That(e!.Message, Does.Contain("Prompt index 2 of example 1").And.Contain("[0, 2)"));
    }

    [Test]
    public void InputLongerThanTheLowRankRowsIsRefused()
    {
        var problem = Problem with { SeqLen = 9 };
        var data = problem.Generate(4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PromptInputCheck.RunForward(_cpu, data, DType.F32, DType.F32));
        Assert.That(e!.Message, Does.Contain("L=9").And.Contain("s=8"));
    }

    [Test]
    public void MismatchedWidthIsNamed()
    {
        using var t = Problem.Generate(5).Upload(_cpu, DType.F32, DType.F32);
        using var wrongB = _cpu.Allocate(DType.F32, 2, 2, 15);
        using var output = _cpu.Allocate(DType.F32, 2, 9, 16);
        var e = Assert.Throws<ArgumentException>(() => _cpu.PromptInputForward(output, t.TokenIds, t.Embeddings,
            PromptParameters.Decomposed(t.Prompt, t.LowRankA!, wrongB, 1f), t.PromptIndex, 1f));
        Assert.That(e!.Message, Does.Contain("lowRankB").And.Contain("f32[2, 2, 15]").And.Contain("d=16"));
    }

    [Test]
    public void MismatchedRankIsNamed()
    {
        using var t = Problem.Generate(6).Upload(_cpu, DType.F32, DType.F32);
        using var wrongB = _cpu.Allocate(DType.F32, 2, 3, 16);
        using var output = _cpu.Allocate(DType.F32, 2, 9, 16);
        var e = Assert.Throws<ArgumentException>(() => _cpu.PromptInputForward(output, t.TokenIds, t.Embeddings,
            PromptParameters.Decomposed(t.Prompt, t.LowRankA!, wrongB, 1f), t.PromptIndex, 1f));
        Assert.That(e!.Message, Does.Contain("r=2"));
    }

    [Test]
    public void OutputOfTheWrongLengthIsNamed()
    {
        using var t = Problem.Generate(7).Upload(_cpu, DType.F32, DType.F32);
        using var output = _cpu.Allocate(DType.F32, 2, 8, 16);
        var e = Assert.Throws<ArgumentException>(() => _cpu.PromptInputForward(output, t.TokenIds, t.Embeddings, t.Parameters(1f), t.PromptIndex, 1f));
        Assert.That(e!.Message, Does.Contain("output").And.Contain("m+L=9"));
    }

    [Test]
    public void HalfALowRankPairIsRefused()
    {
        using var t = Problem.Generate(8).Upload(_cpu, DType.F32, DType.F32);
        using var output = _cpu.Allocate(DType.F32, 2, 9, 16);
        var e = Assert.Throws<ArgumentException>(() => _cpu.PromptInputForward(output, t.TokenIds, t.Embeddings,
            new PromptParameters(t.Prompt, t.LowRankA), t.PromptIndex, 1f));
        Assert.That(e!.Message, Does.Contain("both A and B"));
    }

    [Test]
    public void PromptIndexOfTheWrongLengthIsNamed()
    {
        using var t = Problem.Generate(9).Upload(_cpu, DType.F32, DType.F32);
        using var index = _cpu.Allocate(DType.I32, 3);
        index.CopyFrom(new[] { 0, 1, 0 });
        using var output = _cpu.Allocate(DType.F32, 2, 9, 16);
        var e = Assert.Throws<ArgumentException>(() => _cpu.PromptInputForward(output, t.TokenIds, t.Embeddings, t.Parameters(1f), index, 1f));
        Assert.That(e!.Message, Does.Contain("B=2"));
    }

    [Test]
    public void BackwardRefusesAPrecomputedDelta()
    {
        using var t = Problem.Generate(10).Upload(_cpu, DType.F32, DType.F32);
        using var delta = _cpu.Allocate(DType.F32, 2, 8, 16);
        using var dPrompt = _cpu.Allocate(DType.F32, 2, 3, 16);
        var e = Assert.Throws<ArgumentException>(() => _cpu.PromptInputBackward(new PromptGradients(dPrompt), t.DInput,
            PromptParameters.WithDelta(t.Prompt, delta), t.PromptIndex));
        Assert.That(e!.Message, Does.Contain("delta"));
    }
}
