using System.Runtime.InteropServices;

namespace DePT.Backends.Cuda;

// Byte-for-byte mirrors of the argument structs in src/DePT.Kernels/activation.cuh. `Fn` is the
// ActivationFunction's value; `Bf16` has bit i set when the i-th pointer holds bf16.

/// <summary>Mirror of <c>ActArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ActArgs
{
    public ulong Out, Inp;
    public long Count;
    public int Bf16, Fn;
}

/// <summary>Mirror of <c>ActBackwardArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ActBackwardArgs
{
    public ulong DInp, DOut, Inp;
    public long Count;
    public int Bf16, Fn;
}

/// <summary>Mirror of <c>GatedActArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GatedActArgs
{
    public ulong Out, Inp;
    public int Rows, Ff, Bf16, Fn;
}

/// <summary>Mirror of <c>GatedActBackwardArgs</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GatedActBackwardArgs
{
    public ulong DInp, DOut, Inp;
    public int Rows, Ff, Bf16, Fn;
}
