using System.Runtime.InteropServices;

namespace DePT.Backends.Cuda;

// Byte-for-byte mirrors of the argument structs in src/DePT.Kernels/attention.cuh. `Bf16` has bit i set
// when the i-th pointer holds bf16; the softmaxes' low copies are always bf16.

/// <summary>Mirror of <c>AttentionPermuteArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AttentionPermuteArgs
{
    public ulong Dst, Src;
    public int Batch, Heads, Rows, FullRows, HeadDim, Bf16;
}

/// <summary>Mirror of <c>AttentionSoftmaxArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AttentionSoftmaxArgs
{
    public ulong Probs, ProbsLow, Bias, KeyMask;
    public int Batch, Heads, QueryLen, KeyLen, MaskStride, BiasStride, Causal, QueryOffset;
}

/// <summary>Mirror of <c>AttentionSoftmaxBackwardArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AttentionSoftmaxBackwardArgs
{
    public ulong DScores, DScoresLow, Probs;
    public long Rows;
    public int KeyLen;
}

/// <summary>Mirror of <c>AttentionFlashArgs</c>: the fused forward and backward.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AttentionFlashArgs
{
    public ulong Out, Lse, Q, K, V, KeyMask, BiasTable, Bias, DqAccum, Dk, Dv, Dout, Delta;
    public int Batch, Heads, QueryLen, KeyLen, Capacity, MaskStride, BiasStride, Causal, QueryOffset;
    public int Buckets, Bidirectional, TableBf16;
    public float Scale, LogRatio;
    public int KeyValueHeads;   // kvHeads: Hkv (0 means H)
}

/// <summary>Mirror of <c>AttentionFlashDeltaArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AttentionFlashDeltaArgs
{
    public ulong Delta, Dout, Out;
    public int Batch, Heads, QueryLen, HeadDim, Bf16;
}
