using DePT.Devices;
using DePT.Tensors;

namespace DePT.Backends;

/// <summary>
/// The sizes of one DePT input op, read from its tensors and checked once for every backend:
/// B batch, L input length, m prompt length, d width, r rank, s maximum input length (rows of A or Δ),
/// V vocabulary, P number of prompts. Every mismatch is an exception naming the tensor and the values.
/// </summary>
internal readonly record struct PromptInputShape(int Batch, int SeqLen, int PromptLen, int Dim, int Rank, int MaxLen, int Vocab, int NumPrompts)
{
    public int TotalLen => PromptLen + SeqLen;

    public static PromptInputShape ForForward(string op, Device device, Tensor output, Tensor tokenIds, Tensor embeddings, PromptParameters prompts, Tensor? promptIndex, Tensor? rowOffset)
    {
        RequireRank(op, "tokenIds", tokenIds, 2, device, DType.I32);
        RequireRank(op, "embeddings", embeddings, 2, device, DType.F32, DType.BF16);
        int batch = tokenIds.Dim(0), seqLen = tokenIds.Dim(1);
        int vocab = embeddings.Dim(0), dim = embeddings.Dim(1);
        if (batch < 1 || seqLen < 1) throw new ArgumentException($"{op}: tokenIds {tokenIds.ShapeText} is empty; need at least one example of one token.");
        var shape = FromPrompts(op, device, prompts, dim, batch, seqLen, promptIndex, rowOffset) with { Vocab = vocab };
        RequireRank(op, "output", output, 3, device, DType.F32, DType.BF16);
        RequireShape(op, "output", output, $"(B={batch}, m+L={shape.TotalLen}, d={dim})", batch, shape.TotalLen, dim);
        return shape;
    }

    public static PromptInputShape ForBackward(string op, Device device, PromptGradients gradients, Tensor dInput, PromptParameters prompts, Tensor? promptIndex, Tensor? rowOffset)
    {
        if (prompts.Delta is not null)
            throw new ArgumentException($"{op}: a precomputed delta is for serving; the backward needs the low-rank pair A and B.");
        RequireRank(op, "dInput", dInput, 3, device, DType.F32, DType.BF16);
        RequireRank(op, "prompt", prompts.Prompt, 3, device, DType.F32);
        int promptLen = prompts.Prompt.Dim(1);
        int batch = dInput.Dim(0), seqLen = dInput.Dim(1) - promptLen, dim = dInput.Dim(2);
        if (seqLen < 1)
            throw new ArgumentException($"{op}: dInput {dInput.ShapeText} has no position after the m={promptLen} prompt positions.");
        var shape = FromPrompts(op, device, prompts, dim, batch, seqLen, promptIndex, rowOffset);
        RequireLike(op, "dPrompt", gradients.DPrompt, prompts.Prompt, device);
        if (shape.Rank > 0)
        {
            if (gradients.DLowRankA is null || gradients.DLowRankB is null)
                throw new ArgumentException($"{op}: rank r={shape.Rank} needs both dLowRankA and dLowRankB.");
            RequireLike(op, "dLowRankA", gradients.DLowRankA, prompts.LowRankA!, device);
            RequireLike(op, "dLowRankB", gradients.DLowRankB, prompts.LowRankB!, device);
        }
        return shape;
    }

    public static void ForDelta(string op, Device device, Tensor delta, Tensor lowRankA, Tensor lowRankB)
    {
        RequireRank(op, "lowRankA", lowRankA, 3, device, DType.F32);
        RequireRank(op, "lowRankB", lowRankB, 3, device, DType.F32);
        RequireRank(op, "delta", delta, 3, device, DType.F32);
        int prompts = lowRankA.Dim(0), maxLen = lowRankA.Dim(1), rank = lowRankA.Dim(2), dim = lowRankB.Dim(2);
        RequireShape(op, "lowRankB", lowRankB, $"(P={prompts}, r={rank}, d)", prompts, rank, dim);
        RequireShape(op, "delta", delta, $"(P={prompts}, s={maxLen}, d={dim})", prompts, maxLen, dim);
    }

    private static PromptInputShape FromPrompts(string op, Device device, PromptParameters prompts, int dim, int batch, int seqLen, Tensor? promptIndex, Tensor? rowOffset)
    {
        ArgumentNullException.ThrowIfNull(prompts.Prompt, "prompts.Prompt");
        RequireRank(op, "prompt", prompts.Prompt, 3, device, DType.F32);
        int numPrompts = prompts.Prompt.Dim(0), promptLen = prompts.Prompt.Dim(1);
        if (numPrompts < 1) throw new ArgumentException($"{op}: prompt {prompts.Prompt.ShapeText} holds no prompt.");
        RequireShape(op, "prompt", prompts.Prompt, $"(P={numPrompts}, m={promptLen}, d={dim})", numPrompts, promptLen, dim);

        int rank = 0, maxLen = seqLen;
        if ((prompts.LowRankA is null) != (prompts.LowRankB is null))
            throw new ArgumentException($"{op}: the low-rank pair needs both A and B (got only {(prompts.LowRankA is null ? "B" : "A")}).");
        if (prompts.LowRankA is not null && prompts.Delta is not null)
            throw new ArgumentException($"{op}: give either the low-rank pair A, B or a precomputed delta, not both.");
        if (prompts.LowRankA is { } a && prompts.LowRankB is { } b)
        {
            RequireRank(op, "lowRankA", a, 3, device, DType.F32);
            RequireRank(op, "lowRankB", b, 3, device, DType.F32);
            maxLen = a.Dim(1);
            rank = a.Dim(2);
            if (rank < 1) throw new ArgumentException($"{op}: lowRankA {a.ShapeText} has rank 0; pass no low-rank pair for vanilla prompt tuning.");
            RequireShape(op, "lowRankA", a, $"(P={numPrompts}, s, r)", numPrompts, maxLen, rank);
            RequireShape(op, "lowRankB", b, $"(P={numPrompts}, r={rank}, d={dim})", numPrompts, rank, dim);
            if (!float.IsFinite(prompts.LowRankScale))
                throw new ArgumentException($"{op}: the low-rank scale is {prompts.LowRankScale}.");
        }
        else if (prompts.Delta is { } delta)
        {
            RequireRank(op, "delta", delta, 3, device, DType.F32);
            maxLen = delta.Dim(1);
            RequireShape(op, "delta", delta, $"(P={numPrompts}, s, d={dim})", numPrompts, maxLen, dim);
        }
        if ((prompts.LowRankA is not null || prompts.Delta is not null) && seqLen > maxLen)
            throw new ArgumentOutOfRangeException(nameof(seqLen),
                $"{op}: input length L={seqLen} exceeds the prompt's maximum input length s={maxLen} (rows of A); truncate the input to s.");
        if ((long)promptLen + seqLen > int.MaxValue / Math.Max(1, dim))
            throw new ArgumentOutOfRangeException(nameof(seqLen), $"{op}: m+L={promptLen + seqLen} with d={dim} is too large.");
        if (promptIndex is not null)
        {
            RequireRank(op, "promptIndex", promptIndex, 1, device, DType.I32);
            if (promptIndex.Dim(0) != batch)
                throw new ArgumentException($"{op}: promptIndex {promptIndex.ShapeText} must hold one prompt per example (B={batch}).");
        }
        if (rowOffset is not null)
        {
            RequireRank(op, "rowOffset", rowOffset, 1, device, DType.I32);
            if (rowOffset.Dim(0) != batch)
                throw new ArgumentException($"{op}: rowOffset {rowOffset.ShapeText} must hold one offset per example (B={batch}).");
        }
        return new PromptInputShape(batch, seqLen, promptLen, dim, rank, maxLen, 0, numPrompts);
    }

    private static void RequireRank(string op, string name, Tensor tensor, int rank, Device device, params DType[] dtypes)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (tensor.Device != device)
            throw new ArgumentException($"{op}: {name} is on {tensor.Device}, the backend runs on {device}.");
        if (tensor.Rank != rank)
            throw new ArgumentException($"{op}: {name} {tensor.ShapeText} must have rank {rank}.");
        if (Array.IndexOf(dtypes, tensor.DType) < 0)
            throw new ArgumentException($"{op}: {name} {tensor.ShapeText} must be {string.Join(" or ", dtypes.Select(d => d.ToString().ToLowerInvariant()))}.");
    }

    private static void RequireShape(string op, string name, Tensor tensor, string expected, params int[] dims)
    {
        for (int i = 0; i < dims.Length; i++)
            if (tensor.Dim(i) != dims[i])
                throw new ArgumentException($"{op}: {name} is {tensor.ShapeText}, expected {expected}.");
    }

    private static void RequireLike(string op, string name, Tensor gradient, Tensor parameter, Device device)
    {
        RequireRank(op, name, gradient, parameter.Rank, device, DType.F32);
        if (!gradient.Shape.SequenceEqual(parameter.Shape))
            throw new ArgumentException($"{op}: {name} is {gradient.ShapeText}, its parameter is {parameter.ShapeText}.");
    }
}
