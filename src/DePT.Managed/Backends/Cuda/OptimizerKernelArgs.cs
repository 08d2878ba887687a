using System.Runtime.InteropServices;

namespace DePT.Backends.Cuda;

// Byte-for-byte mirrors of the argument structs in src/DePT.Kernels/optim.cuh: 8-byte device addresses
// (0 for null), then 64-bit counts, then ints and floats, in the same order.

/// <summary>Mirror of <c>SquaredNormPartialArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SquaredNormPartialArgs
{
    public ulong Partials, Inp;
    public long Count;
}

/// <summary>Mirror of <c>SquaredNormFinalArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SquaredNormFinalArgs
{
    public ulong Result, Partials;
    public int Blocks;
    public int Accumulate;
}

/// <summary>Mirror of <c>AdamWArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AdamWArgs
{
    public ulong Param, Grad, FirstMoment, SecondMoment, SquaredGradNorm;
    public long Count;
    public float Decay, Beta1Weight, Beta2, Beta2Weight, StepSize, Bias2Sqrt, Eps, MaxGradNorm;
}
