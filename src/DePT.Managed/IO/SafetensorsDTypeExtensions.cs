namespace DePT.IO;

/// <summary>Sizes and header names of <see cref="SafetensorsDType"/> values.</summary>
public static class SafetensorsDTypeExtensions
{
    private static readonly SafetensorsDType[] AllDTypes = Enum.GetValues<SafetensorsDType>();

    /// <summary>The header strings of every supported dtype, for error messages.</summary>
    internal static string SupportedNames { get; } = string.Join(", ", AllDTypes.Select(d => d.ToHeaderName()));

    /// <summary>Bytes one element of <paramref name="dtype"/> occupies in the data section.</summary>
    public static int ByteSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.BOOL or SafetensorsDType.U8 or SafetensorsDType.I8
            or SafetensorsDType.F8_E5M2 or SafetensorsDType.F8_E4M3 => 1,
        SafetensorsDType.I16 or SafetensorsDType.U16 or SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.I32 or SafetensorsDType.U32 or SafetensorsDType.F32 => 4,
        SafetensorsDType.F64 or SafetensorsDType.I64 or SafetensorsDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype."),
    };

    /// <summary>The string the header's <c>dtype</c> field uses for <paramref name="dtype"/>.</summary>
    public static string ToHeaderName(this SafetensorsDType dtype) =>
        Enum.IsDefined(dtype)
            ? dtype.ToString()
            : throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype.");

    /// <summary>
    /// Maps a header <c>dtype</c> string to its member; exact and case-sensitive, as the format is
    /// (<see cref="Enum.TryParse{TEnum}(string, out TEnum)"/> would also accept numbers and other cases).
    /// </summary>
    internal static bool TryParseHeaderName(string name, out SafetensorsDType dtype)
    {
        foreach (var candidate in AllDTypes)
        {
            if (string.Equals(candidate.ToString(), name, StringComparison.Ordinal))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }
}
