using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DePT.IO;

/// <summary>
/// Writes safetensors files that <see cref="SafetensorsFile"/> and Hugging Face's reader accept. The header
/// lists <c>__metadata__</c> first, then the tensors in ordinal name order, which is also their order in the
/// data section; the header is padded with spaces so the data section starts at a multiple of 8 bytes.
/// Writes are atomic: the file is written to <c>path + ".tmp"</c> in the same folder, flushed to disk, then
/// renamed over <c>path</c>, so a crash or an exception leaves either the old file or the whole new one.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>The suffix of the temporary file a write goes through.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>Writes <paramref name="tensors"/> and <paramref name="metadata"/> to <paramref name="path"/>, atomically.</summary>
    /// <param name="path">Destination; its folder must exist. An existing file is replaced only once the new one is complete.</param>
    /// <param name="tensors">The tensors; names must be distinct. Each one's memory must stay unchanged until this returns.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> entries, written in ordinal key order.</param>
    /// <exception cref="ArgumentException">Two tensors share a name.</exception>
    /// <exception cref="DirectoryNotFoundException">The destination's folder does not exist.</exception>
    public static void Write(string path, IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        string fullPath = Path.GetFullPath(path);

        // Everything that can be checked is checked before the temporary file exists.
        var ordered = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        for (int i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].Name == ordered[i - 1].Name)
            {
                throw new ArgumentException($"Two tensors are named '{ordered[i].Name}' for '{fullPath}'.", nameof(tensors));
            }
        }
        byte[] header = BuildHeader(ordered, metadata);

        string temporaryPath = fullPath + TemporarySuffix;
        try
        {
            using (var stream = new FileStream(temporaryPath, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                Span<byte> lengthField = stackalloc byte[sizeof(ulong)];
                BinaryPrimitives.WriteUInt64LittleEndian(lengthField, (ulong)header.Length);
                stream.Write(lengthField);
                stream.Write(header);
                foreach (var tensor in ordered)
                {
                    stream.Write(tensor.Bytes);
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporaryPath, fullPath, overwrite: true);
        }
        catch
        {
            DeleteQuietly(temporaryPath);
            throw;
        }
    }

    /// <summary>The header JSON, padded with spaces to a multiple of 8 bytes.</summary>
    private static byte[] BuildHeader(List<SafetensorsTensor> ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new MemoryStream();
        // Relaxed escaping keeps names such as "a+b" readable; the header is never embedded in HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var entry in metadata.OrderBy(e => e.Key, StringComparer.Ordinal))
                {
                    json.WriteString(entry.Key, entry.Value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in ordered)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.ToHeaderName());
                json.WriteStartArray("shape");
                foreach (long dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }
                json.WriteEndArray();
                long end = offset + tensor.ByteLength;
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        buffer.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        return buffer.ToArray();
    }

    /// <summary>Removes a half-written temporary file without hiding the exception that interrupted the write.</summary>
    private static void DeleteQuietly(string temporaryPath)
    {
        try
        {
            File.Delete(temporaryPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The original failure matters more; a stale .tmp is overwritten by the next write.
        }
    }
}
