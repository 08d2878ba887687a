using System.Runtime.InteropServices;

namespace DePT.Backends.Cuda;

// Byte-for-byte mirrors of the argument structs in src/DePT.Kernels/loss.cuh and pool.cuh. `Bf16` has
// bit i set when the i-th pointer holds bf16.

/// <summary>Mirror of <c>CrossEntropyArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CrossEntropyArgs
{
    public ulong Losses, Logits, Labels, ErrorWord;
    public int Rows, Vocab, IgnoreIndex, WriteGradient, Bf16;
    public float GradientScale;
}

/// <summary>Mirror of <c>ArgMaxArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ArgMaxArgs
{
    public ulong Indices, Logits;
    public int Rows, Vocab, Bf16;
}

/// <summary>Mirror of <c>PoolArgs</c> and <c>PoolBackwardArgs</c> (the same layout: output, input, mask).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PoolArgs
{
    public ulong Out, Inp, Mask;
    public int Batch, SeqLen, Dim, Kind, Bf16;
}
