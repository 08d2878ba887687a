using System.Runtime.InteropServices;

namespace DePT.Backends.Cuda;

// Byte-for-byte mirrors of the argument structs in src/DePT.Kernels/prompt.cuh: pointers are 8-byte
// device addresses (0 for null), then ints, then floats, in the same order.

/// <summary>Mirror of <c>PromptInputForwardArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PromptInputForwardArgs
{
    public ulong Out, Ids, Emb, Prompt, LowRankA, LowRankB, Delta, PromptIndex, RowOffset, ErrorFlag;
    public int Batch, SeqLen, PromptLen, Dim, Rank, MaxLen, Vocab, NumPrompts;
    public float EmbScale, LowRankScale;
}

/// <summary>Mirror of <c>PromptInputBackwardArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PromptInputBackwardArgs
{
    public ulong DPrompt, DLowRankA, DLowRankB, Workspace, DInput, LowRankA, LowRankB, PromptIndex, RowOffset, ErrorFlag;
    public int Batch, SeqLen, PromptLen, Dim, Rank, MaxLen, NumPrompts;
    public float LowRankScale;
}

/// <summary>Mirror of <c>LowRankDeltaArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LowRankDeltaArgs
{
    public ulong Delta, LowRankA, LowRankB;
    public int NumPrompts, MaxLen, Rank, Dim;
    public float LowRankScale;
}
