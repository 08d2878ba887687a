namespace DePT.Tensors;

/// <summary>Element types a tensor can hold.</summary>
public enum DType
{
    /// <summary>IEEE float32.</summary>
    F32,

    /// <summary>bfloat16 (the upper half of a float32), stored as raw 16-bit patterns.</summary>
    BF16,

    /// <summary>int32 (token ids, prompt indices).</summary>
    I32,
}

/// <summary>Sizes and names of <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int SizeInBytes(this DType dtype) => dtype switch
    {
        DType.F32 => 4,
        DType.BF16 => 2,
        DType.I32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>True for the floating-point types.</summary>
    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.F32 or DType.BF16;
}
