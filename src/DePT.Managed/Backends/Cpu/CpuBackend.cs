using System.Numerics.Tensors;
using Tensor = DePT.Tensors.Tensor;
using DePT.Devices;
using DePT.Numerics;
using DePT.Tensors;

namespace DePT.Backends.Cpu;

/// <summary>
/// The fp32 reference backend: synchronous, validating every index it reads, row loops over
/// <see cref="TensorPrimitives"/> and a packed GEMM (<see cref="CpuGemm"/>) for the products. Large ops are
/// spread over the cores in a way that does not change the result. BF16 tensors are stored as bf16 and
/// computed in fp32. The transformer ops live in the partial files CpuBackend.{Dense, Norms, Elementwise,
/// Embeddings, Attention, Losses}.cs.
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    /// <inheritdoc />
    public Device Device => Device.Cpu;

    /// <inheritdoc />
    public Tensor Allocate(DType dtype, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long bytes = Tensor.ElementCount(shape) * dtype.SizeInBytes();
        return new Tensor(new HostStorage(bytes), dtype, (int[])shape.Clone());
    }

    /// <inheritdoc />
    public void Synchronize()
    {
    }

    /// <inheritdoc />
    public void PromptInputForward(Tensor output, Tensor tokenIds, Tensor embeddings, PromptParameters prompts, Tensor? promptIndex, float embeddingScale, Tensor? rowOffset = null)
    {
        var s = PromptInputShape.ForForward(nameof(PromptInputForward), Device, output, tokenIds, embeddings, prompts, promptIndex, rowOffset);
        var ids = Host(tokenIds).AsSpan<int>();
        var examplePrompt = ExamplePrompts(promptIndex, s.Batch, s.NumPrompts);
        var offsets = RowOffsets(rowOffset, s.Batch, s.SeqLen);
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)s.Vocab)
                throw new ArgumentOutOfRangeException(nameof(tokenIds),
                    $"Token id {ids[i]} of example {i / s.SeqLen} at position {i % s.SeqLen} is outside the vocabulary [0, {s.Vocab}).");

        int d = s.Dim;
        var prompt = Host(prompts.Prompt).AsSpan<float>();
        var deltas = new float[s.NumPrompts][];
        var row = new float[d];
        for (int b = 0; b < s.Batch; b++)
        {
            int p = examplePrompt[b];
            for (int t = 0; t < s.PromptLen; t++)
                WriteRow(output, ((long)b * s.TotalLen + t) * d, prompt.Slice((p * s.PromptLen + t) * d, d));

            var delta = prompts.Delta is not null || s.Rank > 0 ? deltas[p] ??= DeltaRows(prompts, p, s.SeqLen, s) : null;
            for (int t = 0; t < s.SeqLen; t++)
            {
                ReadRow(embeddings, (long)ids[b * s.SeqLen + t] * d, row);
                TensorPrimitives.Multiply(row, embeddingScale, row);
                // Δ row t − o_b: the example's real tokens start at row 0 of Δ; rows before them (left padding) get none
                int deltaRow = t - offsets[b];
                if (delta is not null && deltaRow >= 0) TensorPrimitives.Add(row, delta.AsSpan(deltaRow * d, d), row);
                WriteRow(output, ((long)b * s.TotalLen + s.PromptLen + t) * d, row);
            }
        }
    }

    /// <inheritdoc />
    public void PromptInputBackward(PromptGradients gradients, Tensor dInput, PromptParameters prompts, Tensor? promptIndex, Tensor? rowOffset = null)
    {
        var s = PromptInputShape.ForBackward(nameof(PromptInputBackward), Device, gradients, dInput, prompts, promptIndex, rowOffset);
        var examplePrompt = ExamplePrompts(promptIndex, s.Batch, s.NumPrompts);
        var offsets = RowOffsets(rowOffset, s.Batch, s.SeqLen);
        int d = s.Dim, m = s.PromptLen, L = s.SeqLen, r = s.Rank;
        var dPrompt = Host(gradients.DPrompt).AsSpan<float>();
        var row = new float[d];
        var sum = new float[L * d];
        for (int p = 0; p < s.NumPrompts; p++)
        {
            // Reduce over the batch first: S_p[j] = Σ_b dInput[b, m + j + o_b, :] for the examples of prompt p.
            Array.Clear(sum);
            bool used = false;
            for (int b = 0; b < s.Batch; b++)
            {
                if (examplePrompt[b] != p) continue;
                used = true;
                for (int t = 0; t < m; t++)
                {
                    ReadRow(dInput, ((long)b * s.TotalLen + t) * d, row);
                    var target = dPrompt.Slice((p * m + t) * d, d);
                    TensorPrimitives.Add(target, row, target);
                }
                for (int j = 0; j + offsets[b] < L; j++)
                {
                    ReadRow(dInput, ((long)b * s.TotalLen + m + j + offsets[b]) * d, row);
                    TensorPrimitives.Add(sum.AsSpan(j * d, d), row, sum.AsSpan(j * d, d));
                }
            }
            if (!used || r == 0) continue;

            var a = Host(prompts.LowRankA!).AsSpan<float>().Slice(p * s.MaxLen * r, s.MaxLen * r);
            var bMat = Host(prompts.LowRankB!).AsSpan<float>().Slice(p * r * d, r * d);
            var dA = Host(gradients.DLowRankA!).AsSpan<float>().Slice(p * s.MaxLen * r, s.MaxLen * r);
            var dB = Host(gradients.DLowRankB!).AsSpan<float>().Slice(p * r * d, r * d);
            float scale = prompts.LowRankScale;
            for (int t = 0; t < L; t++)
            {
                var sRow = sum.AsSpan(t * d, d);
                for (int k = 0; k < r; k++)
                {
                    dA[t * r + k] += scale * TensorPrimitives.Dot(sRow, bMat.Slice(k * d, d));
                    var dBRow = dB.Slice(k * d, d);
                    TensorPrimitives.MultiplyAdd(sRow, scale * a[t * r + k], dBRow, dBRow);
                }
            }
        }
    }

    /// <inheritdoc />
    public void LowRankDelta(Tensor delta, Tensor lowRankA, Tensor lowRankB, float lowRankScale)
    {
        PromptInputShape.ForDelta(nameof(LowRankDelta), Device, delta, lowRankA, lowRankB);
        int numPrompts = lowRankA.Dim(0), maxLen = lowRankA.Dim(1), r = lowRankA.Dim(2), d = lowRankB.Dim(2);
        var a = Host(lowRankA).AsSpan<float>();
        var b = Host(lowRankB).AsSpan<float>();
        var target = Host(delta).AsSpan<float>();
        for (int p = 0; p < numPrompts; p++)
            LowRankRows(target.Slice(p * maxLen * d, maxLen * d), a.Slice(p * maxLen * r, maxLen * r), b.Slice(p * r * d, r * d), lowRankScale, maxLen, r, d);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>Rows 0..rows−1 of prompt p's Δ: the precomputed delta, or scale·A·B.</summary>
    private static float[] DeltaRows(PromptParameters prompts, int p, int rows, PromptInputShape s)
    {
        int d = s.Dim, r = s.Rank;
        var result = new float[rows * d];
        if (prompts.Delta is { } delta)
            Host(delta).AsSpan<float>().Slice(p * s.MaxLen * d, rows * d).CopyTo(result);
        else
            LowRankRows(result, Host(prompts.LowRankA!).AsSpan<float>().Slice(p * s.MaxLen * r, s.MaxLen * r),
                Host(prompts.LowRankB!).AsSpan<float>().Slice(p * r * d, r * d), prompts.LowRankScale, rows, r, d);
        return result;
    }

    /// <summary>target (rows, d) = scale · a[:rows] (·, r) · b (r, d).</summary>
    private static void LowRankRows(Span<float> target, ReadOnlySpan<float> a, ReadOnlySpan<float> b, float scale, int rows, int r, int d)
    {
        target.Clear();
        for (int t = 0; t < rows; t++)
        {
            var row = target.Slice(t * d, d);
            for (int k = 0; k < r; k++)
                TensorPrimitives.MultiplyAdd(b.Slice(k * d, d), scale * a[t * r + k], row, row);
        }
    }

    private static int[] ExamplePrompts(Tensor? promptIndex, int batch, int numPrompts)
    {
        if (promptIndex is null) return new int[batch];
        var index = Host(promptIndex).AsSpan<int>().ToArray();
        for (int b = 0; b < batch; b++)
            if ((uint)index[b] >= (uint)numPrompts)
                throw new ArgumentOutOfRangeException(nameof(promptIndex), $"Prompt index {index[b]} of example {b} is outside [0, {numPrompts}).");
        return index;
    }

    private static int[] RowOffsets(Tensor? rowOffset, int batch, int seqLen)
    {
        if (rowOffset is null) return new int[batch];
        var offsets = Host(rowOffset).AsSpan<int>().ToArray();
        for (int b = 0; b < batch; b++)
            if ((uint)offsets[b] > (uint)seqLen)
                throw new ArgumentOutOfRangeException(nameof(rowOffset), $"Row offset {offsets[b]} of example {b} is outside [0, L={seqLen}].");
        return offsets;
    }

    private static HostStorage Host(Tensor tensor) => (HostStorage)tensor.Storage;

    private static void ReadRow(Tensor tensor, long offset, Span<float> row)
    {
        if (tensor.DType == DType.F32) Host(tensor).AsSpan<float>().Slice((int)offset, row.Length).CopyTo(row);
        else BFloat16.ToSingle(Host(tensor).AsSpan<ushort>().Slice((int)offset, row.Length), row);
    }

    private static void WriteRow(Tensor tensor, long offset, ReadOnlySpan<float> row)
    {
        if (tensor.DType == DType.F32) row.CopyTo(Host(tensor).AsSpan<float>().Slice((int)offset, row.Length));
        else BFloat16.FromSingle(row, Host(tensor).AsSpan<ushort>().Slice((int)offset, row.Length));
    }
}
