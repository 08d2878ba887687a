using DePT.Backends;
using DePT.Tensors;

namespace DePT.Diagnostics;

/// <summary>Host arrays of one <see cref="PromptInputProblem"/>; <see cref="Upload"/> puts them on a backend.</summary>
public sealed class PromptInputData(PromptInputProblem problem)
{
    /// <summary>The sizes.</summary>
    public PromptInputProblem Problem { get; } = problem;

    /// <summary>(B, L) token ids.</summary>
    public required int[] TokenIds { get; init; }

    /// <summary>(V, d) frozen embeddings.</summary>
    public required float[] Embeddings { get; init; }

    /// <summary>(P, m, d) soft prompts.</summary>
    public required float[] Prompt { get; init; }

    /// <summary>(P, s, r), or null for rank 0.</summary>
    public float[]? LowRankA { get; init; }

    /// <summary>(P, r, d), or null for rank 0.</summary>
    public float[]? LowRankB { get; init; }

    /// <summary>(B) prompt of each example, or null when there is one prompt.</summary>
    public int[]? PromptIndex { get; init; }

    /// <summary>(B, m+L, d) an upstream gradient for the backward.</summary>
    public required float[] DInput { get; init; }

    /// <summary>Creates the tensors on <paramref name="backend"/>; the caller disposes the result.</summary>
    public PromptInputTensors Upload(IBackend backend, DType embeddingType, DType gradientType)
    {
        var p = Problem;
        var t = new PromptInputTensors();
        t.TokenIds = t.Track(backend.Allocate(DType.I32, p.Batch, p.SeqLen));
        t.TokenIds.CopyFrom(TokenIds);
        t.Embeddings = t.Track(backend.Allocate(embeddingType, p.Vocab, p.Dim));
        t.Embeddings.CopyFrom(Embeddings);
        t.Prompt = t.Track(backend.Allocate(DType.F32, p.NumPrompts, p.PromptLen, p.Dim));
        t.Prompt.CopyFrom(Prompt);
        if (LowRankA is not null && LowRankB is not null)
        {
            t.LowRankA = t.Track(backend.Allocate(DType.F32, p.NumPrompts, p.MaxLen, p.Rank));
            t.LowRankA.CopyFrom(LowRankA);
            t.LowRankB = t.Track(backend.Allocate(DType.F32, p.NumPrompts, p.Rank, p.Dim));
            t.LowRankB.CopyFrom(LowRankB);
        }
        if (PromptIndex is not null)
        {
            t.PromptIndex = t.Track(backend.Allocate(DType.I32, p.Batch));
            t.PromptIndex.CopyFrom(PromptIndex);
        }
        t.DInput = t.Track(backend.Allocate(gradientType, p.Batch, p.TotalLen, p.Dim));
        t.DInput.CopyFrom(DInput);
        return t;
    }
}
