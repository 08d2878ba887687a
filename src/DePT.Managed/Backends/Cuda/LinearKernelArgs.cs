using System.Runtime.InteropServices;

namespace DePT.Backends.Cuda;

// Byte-for-byte mirrors of the argument structs in src/DePT.Kernels/linear.cuh. `Bf16` has bit i set when
// the i-th pointer holds bf16.

/// <summary>Mirror of <c>LinearEpilogueArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LinearEpilogueArgs
{
    public ulong Out, Src, Bias;
    public int Rows, Cols, Accumulate, Bf16;
}

/// <summary>Mirror of <c>LinearBiasGradArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LinearBiasGradArgs
{
    public ulong DBias, DOut;
    public int Rows, Cols, Bf16;
}
