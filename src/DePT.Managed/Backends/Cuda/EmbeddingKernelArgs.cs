using System.Runtime.InteropServices;

namespace DePT.Backends.Cuda;

// Byte-for-byte mirrors of the argument structs in src/DePT.Kernels/embedding.cuh. `Bf16` has bit i set
// when the i-th pointer holds bf16.

/// <summary>Mirror of <c>EmbeddingLookupArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct EmbeddingLookupArgs
{
    public ulong Out, Ids, Table, ErrorWord;
    public int Rows, Dim, Vocab, Bf16;
    public float Scale;
}

/// <summary>Mirror of <c>AddPositionsArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AddPositionsArgs
{
    public ulong X, Positions, TokenTypes, TypeIds, ErrorWord;
    public int Batch, SeqLen, Dim, NumTypes, Bf16;
}

/// <summary>Mirror of <c>RelativeBiasArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RelativeBiasArgs
{
    public ulong Bias, Table;
    public int Heads, QueryLen, KeyLen, Buckets, QueryOffset, Bidirectional, Bf16;
    public float LogRatio;
}
