using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Tensors;
using static DePT.Tests.Ops.OpTest;

namespace DePT.Tests.Kernels;

/// <summary>
/// The DePT input's per-example row offset on the CPU reference: a left-padded batch with offsets gives its real tokens
/// exactly the rows (and its prompt parameters exactly the gradients) of the same batch right-padded without offsets;
/// rows before the real tokens get embeddings only; offsets outside [0, L] are refused.
/// </summary>
public class PromptRowOffsetTests
{
    private const int Vocab = 11, Dim = 6, PromptLen = 2, MaxLen = 7, Rank = 3, Length = 5;
    private const float Scale = 1.7f;
    private static readonly int[] Lengths = [5, 3, 1];
    private readonly CpuBackend _cpu = new();

    [Test]
    public void LeftPaddedWithOffsetsEqualsRightPaddedWithout([Values] bool precomputedDelta)
    {
        var rng = NewRandom();
        using var p = Parameters(rng);
        var tokens = Lengths.Select(n => Enumerable.Range(0, n).Select(_ => rng.Next(1, Vocab)).ToArray()).ToArray();
        var parameters = precomputedDelta ? p.WithDelta(_cpu) : p.Decomposed;

        var right = Forward(tokens, leftPadded: false, p.Embeddings, parameters);
        var left = Forward(tokens, leftPadded: true, p.Embeddings, parameters);
        int total = PromptLen + Length;
        for (int b = 0; b < Lengths.Length; b++)
        {
            int pads = Length - Lengths[b];
            for (int t = 0; t < PromptLen; t++)
                Assert.That(Row(left, b, t, total), Is.EqualTo(Row(right, b, t, total)), $"example {b} prompt row {t}");
            for (int j = 0; j < Lengths[b]; j++)
                Assert.That(Row(left, b, PromptLen + pads + j, total), Is.EqualTo(Row(right, b, PromptLen + j, total)), $"example {b} token {j}");
            for (int t = 0; t < pads; t++)
                Assert.That(Row(left, b, PromptLen + t, total), Is.EqualTo(p.Embedding(0)), $"example {b} pad {t}: embedding only");
        }
    }

    [Test]
    public void BackwardWithOffsetsGivesTheRightPaddedGradients()
    {
        var rng = NewRandom();
        using var p = Parameters(rng);
        int total = PromptLen + Length;
        // The gradient of the right-padded layout, and the same rows moved to where left padding puts them.
        var rightGradient = Values(rng, Lengths.Length * total * Dim);
        var leftGradient = new float[rightGradient.Length];
        for (int b = 0; b < Lengths.Length; b++)
        {
            int pads = Length - Lengths[b];
            for (int t = 0; t < PromptLen; t++) Row(rightGradient, b, t, total).CopyTo(leftGradient.AsSpan(((b * total) + t) * Dim));
            for (int j = 0; j < Lengths[b]; j++)
                Row(rightGradient, b, PromptLen + j, total).CopyTo(leftGradient.AsSpan(((b * total) + PromptLen + pads + j) * Dim));
            // pad rows: masked in a real model; anything here must not reach A or B
            for (int t = 0; t < pads; t++) Values(rng, Dim, 100f).CopyTo(leftGradient.AsSpan(((b * total) + PromptLen + t) * Dim));
            // and the right layout's pad rows are zero, as a masked model makes them
            for (int t = Lengths[b]; t < Length; t++) rightGradient.AsSpan(((b * total) + PromptLen + t) * Dim, Dim).Clear();
        }
        var right = Backward(rightGradient, null, p);
        using var offsets = Upload(_cpu, Lengths.Select(n => Length - n).ToArray(), Lengths.Length);
        var left = Backward(leftGradient, offsets, p);
        string[] names = ["dPrompt", "dA", "dB"];
        for (int i = 0; i < 3; i++)
            AssertClose(left[i], Array.ConvertAll(right[i], v => (double)v), 1e-6, names[i]);
    }

    [TestCase(-1)]
    [TestCase(Length + 1)]
    public void OffsetsOutsideZeroToLAreRefused(int offset)
    {
        using var p = Parameters(NewRandom());
        using var ids = Upload(_cpu, new int[Length], 1, Length);
        using var output = _cpu.Allocate(DType.F32, 1, PromptLen + Length, Dim);
        using var offsets = Upload(_cpu, [offset], 1);
        Assert.That(() => _cpu.PromptInputForward(output, ids, p.Embeddings, p.Decomposed, null, 1f, offsets),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains($"Row offset {offset} of example 0"));
        using var wrongShape = Upload(_cpu, [0, 0], 2);
        Assert.That(() => _cpu.PromptInputForward(output, ids, p.Embeddings, p.Decomposed, null, 1f, wrongShape),
            Throws.ArgumentException.With.Message.Contains("rowOffset"));
    }

    private float[] Forward(int[][] tokens, bool leftPadded, Tensor embeddings, PromptParameters parameters)
    {
        int batch = tokens.Length;
        var ids = new int[batch * Length];
        var offsets = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            offsets[b] = leftPadded ? Length - tokens[b].Length : 0;
            tokens[b].CopyTo(ids, b * Length + offsets[b]);
        }
        using var idTensor = Upload(_cpu, ids, batch, Length);
        using var offsetTensor = leftPadded ? Upload(_cpu, offsets, batch) : null;
        using var output = Poisoned(_cpu, DType.F32, batch, PromptLen + Length, Dim);
        _cpu.PromptInputForward(output, idTensor, embeddings, parameters, null, 1f, offsetTensor);
        return output.ToFloatArray();
    }

    private float[][] Backward(float[] gradient, Tensor? offsets, Prompt p)
    {
        using var dInput = Upload(_cpu, gradient, DType.F32, Lengths.Length, PromptLen + Length, Dim);
        using var dPrompt = _cpu.Allocate(DType.F32, 1, PromptLen, Dim);
        using var dA = _cpu.Allocate(DType.F32, 1, MaxLen, Rank);
        using var dB = _cpu.Allocate(DType.F32, 1, Rank, Dim);
        foreach (var g in new[] { dPrompt, dA, dB }) _cpu.Fill(g, 0f);
        _cpu.PromptInputBackward(new PromptGradients(dPrompt, dA, dB), dInput, p.Decomposed, null, offsets);
        return [dPrompt.ToFloatArray(), dA.ToFloatArray(), dB.ToFloatArray()];
    }

    private static float[] Row(float[] values, int b, int t, int total) => values.AsSpan((b * total + t) * Dim, Dim).ToArray();

    private Prompt Parameters(Random rng) => new(
        Upload(_cpu, Values(rng, Vocab * Dim), DType.F32, Vocab, Dim),
        Upload(_cpu, Values(rng, PromptLen * Dim), DType.F32, 1, PromptLen, Dim),
        Upload(_cpu, Values(rng, MaxLen * Rank), DType.F32, 1, MaxLen, Rank),
        Upload(_cpu, Values(rng, Rank * Dim), DType.F32, 1, Rank, Dim));

    private sealed record Prompt(Tensor Embeddings, Tensor PromptRows, Tensor A, Tensor B) : IDisposable
    {
        private Tensor? _delta;

        public PromptParameters Decomposed => PromptParameters.Decomposed(PromptRows, A, B, Scale);

        public PromptParameters WithDelta(CpuBackend cpu)
        {
            _delta = cpu.Allocate(DType.F32, 1, MaxLen, Dim);
            cpu.LowRankDelta(_delta, A, B, Scale);
            return PromptParameters.WithDelta(PromptRows, _delta);
        }

        public float[] Embedding(int id) => Embeddings.ToFloatArray().AsSpan(id * Dim, Dim).ToArray();

        public void Dispose()
        {
            _delta?.Dispose();
            foreach (var t in new[] { Embeddings, PromptRows, A, B }) t.Dispose();
        }
    }
}
