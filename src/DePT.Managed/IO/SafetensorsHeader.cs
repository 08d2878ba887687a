using System.Collections.Immutable;
using System.Text.Json;

namespace DePT.IO;

/// <summary>
/// Parses and checks the JSON header of a safetensors file against the size of its data section.
/// Every tensor's bytes must lie inside the data section, match its shape and dtype, and the tensors together
/// must tile the data section exactly: no overlaps, no holes, no trailing bytes. That is what the reference
/// (Rust) implementation enforces, so a file we accept is one Hugging Face accepts, and a gap is a sign of
/// corruption rather than something to skip over.
/// </summary>
internal static class SafetensorsHeader
{
    internal const string MetadataKey = "__metadata__";

    /// <summary>The parsed header: metadata and tensors in data order.</summary>
    internal sealed record Contents(IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<SafetensorsTensorInfo> Tensors);

    /// <summary>Parses <paramref name="headerJson"/> and checks every entry; throws <see cref="SafetensorsFormatException"/>.</summary>
    public static Contents Parse(ReadOnlyMemory<byte> headerJson, string path, long dataSectionStart, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerJson);
        }
        catch (JsonException ex)
        {
            throw new SafetensorsFormatException(path, null, $"the header is not valid JSON ({ex.Message}).", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new SafetensorsFormatException(path, null, $"the header is a JSON {root.ValueKind}, expected an object.");
            }

            IReadOnlyDictionary<string, string> metadata = ImmutableDictionary<string, string>.Empty;
            var tensors = new List<SafetensorsTensorInfo>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw new SafetensorsFormatException(path, property.Name, "the header lists this name twice.");
                }
                if (property.Name == MetadataKey)
                {
                    metadata = ParseMetadata(property.Value, path);
                }
                else
                {
                    tensors.Add(ParseTensor(property.Name, property.Value, path, dataSectionStart, dataLength));
                }
            }

            tensors.Sort((a, b) => a.DataBegin != b.DataBegin
                ? a.DataBegin.CompareTo(b.DataBegin)
                : a.ByteLength.CompareTo(b.ByteLength));
            CheckTiling(tensors, path, dataLength);
            return new Contents(metadata, tensors);
        }
    }

    private static Dictionary<string, string> ParseMetadata(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafetensorsFormatException(path, null,
                $"'{MetadataKey}' is a JSON {value.ValueKind}, expected an object of strings.");
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw new SafetensorsFormatException(path, null,
                    $"'{MetadataKey}' entry '{entry.Name}' is a JSON {entry.Value.ValueKind}; metadata values must be strings.");
            }
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                throw new SafetensorsFormatException(path, null, $"'{MetadataKey}' lists key '{entry.Name}' twice.");
            }
        }
        return metadata;
    }

    private static SafetensorsTensorInfo ParseTensor(string name, JsonElement entry, string path, long dataSectionStart, long dataLength)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new SafetensorsFormatException(path, name,
                $"the entry is a JSON {entry.ValueKind}, expected an object with dtype, shape and data_offsets.");
        }

        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw new SafetensorsFormatException(path, name, "'dtype' is missing or not a string.");
        }
        string dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypeExtensions.TryParseHeaderName(dtypeName, out var dtype))
        {
            throw new SafetensorsFormatException(path, name,
                $"unknown dtype '{dtypeName}'; known dtypes: {SafetensorsDTypeExtensions.SupportedNames}.");
        }

        var shape = ReadNonNegativeIntegers(entry, "shape", path, name);
        var offsets = ReadNonNegativeIntegers(entry, "data_offsets", path, name);
        if (offsets.Length != 2)
        {
            throw new SafetensorsFormatException(path, name, $"'data_offsets' has {offsets.Length} values, expected [begin, end].");
        }
        long begin = offsets[0], end = offsets[1];
        if (end < begin)
        {
            throw new SafetensorsFormatException(path, name, $"data_offsets [{begin}, {end}] end before they begin.");
        }
        if (end > dataLength)
        {
            throw new SafetensorsFormatException(path, name,
                $"data_offsets [{begin}, {end}] reach past the end of the data section ({dataLength} bytes): the file is truncated or the offsets are wrong.");
        }

        long elementCount, expectedBytes;
        try
        {
            elementCount = 1;
            foreach (long dim in shape)
            {
                elementCount = checked(elementCount * dim);
            }
            expectedBytes = checked(elementCount * dtype.ByteSize());
        }
        catch (OverflowException)
        {
            throw new SafetensorsFormatException(path, name, $"shape [{string.Join(", ", shape)}] overflows a 64-bit byte count.");
        }
        if (end - begin != expectedBytes)
        {
            throw new SafetensorsFormatException(path, name,
                $"data_offsets [{begin}, {end}] hold {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtypeName} needs {elementCount} × {dtype.ByteSize()} = {expectedBytes}.");
        }

        return new SafetensorsTensorInfo(name, dtype, shape, elementCount, begin, expectedBytes, dataSectionStart);
    }

    private static ImmutableArray<long> ReadNonNegativeIntegers(JsonElement entry, string field, string path, string name)
    {
        if (!entry.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw new SafetensorsFormatException(path, name, $"'{field}' is missing or not an array.");
        }
        var values = ImmutableArray.CreateBuilder<long>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long value) || value < 0)
            {
                throw new SafetensorsFormatException(path, name,
                    $"'{field}' holds {item.GetRawText()}; expected non-negative integers.");
            }
            values.Add(value);
        }
        return values.MoveToImmutable();
    }

    /// <summary>Walks the tensors in data order and requires each to start where the previous one ended.</summary>
    private static void CheckTiling(List<SafetensorsTensorInfo> tensors, string path, long dataLength)
    {
        long covered = 0;
        SafetensorsTensorInfo? previous = null;
        foreach (var tensor in tensors)
        {
            if (tensor.DataBegin < covered)
            {
                throw new SafetensorsFormatException(path, tensor.Name,
                    $"its bytes [{tensor.DataBegin}, {tensor.DataBegin + tensor.ByteLength}] overlap tensor '{previous!.Name}' at [{previous.DataBegin}, {covered}].");
            }
            if (tensor.DataBegin > covered)
            {
                throw new SafetensorsFormatException(path, tensor.Name,
                    $"its bytes start at {tensor.DataBegin} but the previous tensor ends at {covered}: bytes [{covered}, {tensor.DataBegin}] of the data section belong to no tensor.");
            }
            covered = tensor.DataBegin + tensor.ByteLength;
            previous = tensor;
        }
        if (covered != dataLength)
        {
            throw new SafetensorsFormatException(path, null,
                $"the tensors cover {covered} bytes of the {dataLength}-byte data section; the trailing {dataLength - covered} bytes belong to no tensor.");
        }
    }
}
