using System.Runtime.InteropServices;

namespace DePT.Backends.Cuda;

/// <summary>Mirror of <c>RotaryArgs</c> in src/DePT.Kernels/rotary.cuh; <c>Bf16</c> bit 0 is the output, bit 1 the input.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RotaryArgs
{
    public ulong Out, Inp, Positions, InvFreq;
    public int Batch, SeqLen, Heads, HeadDim, Bf16;
    public float Sign;
}
