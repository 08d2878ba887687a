using System.Runtime.InteropServices;

namespace DePT.Backends.Cuda;

// Byte-for-byte mirrors of the argument structs in src/DePT.Kernels/norm.cuh. `Bf16` has bit i set when
// the i-th pointer holds bf16 (the saved statistics are always fp32).

/// <summary>Mirror of <c>RmsNormArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RmsNormArgs
{
    public ulong Out, Rstd, Inp, Weight;
    public int Rows, Dim, Bf16;
    public float Eps;
}

/// <summary>Mirror of <c>RmsNormBackwardArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RmsNormBackwardArgs
{
    public ulong DInp, DOut, Inp, Weight, Rstd;
    public int Rows, Dim, Accumulate, Bf16;
}

/// <summary>Mirror of <c>LayerNormArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LayerNormArgs
{
    public ulong Out, Mean, Rstd, Inp, Weight, Bias;
    public int Rows, Dim, Bf16;
    public float Eps;
}

/// <summary>Mirror of <c>LayerNormBackwardArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LayerNormBackwardArgs
{
    public ulong DInp, DOut, Inp, Weight, Mean, Rstd;
    public int Rows, Dim, Accumulate, Bf16;
}
