namespace DePT.Native;

// Typed driver-API handles. Each wraps exactly the C type (CUdevice is an int ordinal, CUdeviceptr an
// unsigned 64-bit address, the rest opaque pointers), so they are blittable and pass by value or by
// out-reference in [LibraryImport] signatures with no marshalling.

/// <summary>A device ordinal, as <c>CUdevice</c> (int). Ordinal 0 is a real device, so there is no null.</summary>
internal readonly record struct CUdevice(int Value);

/// <summary><c>CUcontext</c>.</summary>
internal readonly record struct CUcontext(nint Handle)
{
    public bool IsNull => Handle == 0;
}

/// <summary><c>CUstream</c>. The null stream is the legacy default stream.</summary>
internal readonly record struct CUstream(nint Handle)
{
    public bool IsNull => Handle == 0;
}

/// <summary><c>CUevent</c>.</summary>
internal readonly record struct CUevent(nint Handle)
{
    public bool IsNull => Handle == 0;
}

/// <summary><c>CUmodule</c>.</summary>
internal readonly record struct CUmodule(nint Handle)
{
    public bool IsNull => Handle == 0;
}

/// <summary><c>CUfunction</c>.</summary>
internal readonly record struct CUfunction(nint Handle)
{
    public bool IsNull => Handle == 0;
}

/// <summary><c>CUdeviceptr</c>: a device address, 64 bits on every 64-bit platform.</summary>
internal readonly record struct CUdeviceptr(ulong Address)
{
    public bool IsNull => Address == 0;

    /// <summary>The address <paramref name="bytes"/> past this one.</summary>
    public CUdeviceptr Offset(ulong bytes) => new(Address + bytes);
}
