using System.Runtime.InteropServices;

namespace DePT.Backends.Cuda;

// Byte-for-byte mirrors of the argument structs in src/DePT.Kernels/elementwise.cuh: 8-byte device
// addresses (0 for null), then 64-bit counts, then ints and floats, in the same order. `Bf16` has bit i set
// when the i-th pointer holds bf16.

/// <summary>Mirror of <c>AddArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AddArgs
{
    public ulong Out, A, B;
    public long Count;
    public int Bf16;
}

/// <summary>Mirror of <c>ScaleArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ScaleArgs
{
    public ulong Out, Inp;
    public long Count;
    public int Bf16;
    public float Factor;
}

/// <summary>Mirror of <c>FillArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FillArgs
{
    public ulong Out;
    public long Count;
    public int Bf16;
    public float Value;
}

/// <summary>Mirror of <c>DropoutArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DropoutArgs
{
    public ulong Out, Inp;
    public long Count;
    public ulong Key;
    public int Bf16;
    public float Rate, KeepScale;
}

/// <summary>Mirror of <c>WriteRowsArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WriteRowsArgs
{
    public ulong Cache, Rows;
    public int Batch, RowCount, Capacity, Dim, Position;
    public int Bf16;
}

/// <summary>Mirror of <c>ReadRowsArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ReadRowsArgs
{
    public ulong Rows, Cache;
    public int Batch, RowCount, Capacity, Dim, Position, Bf16;
}

/// <summary>Mirror of <c>IndexedRowsArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IndexedRowsArgs
{
    public ulong Out, Inp, Indices, ErrorWord;
    public long Count;
    public int Rows, Dim, Bf16;
}
