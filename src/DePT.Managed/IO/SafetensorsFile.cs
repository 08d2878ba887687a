using DePT.Numerics;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.IO.MemoryMappedFiles;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DePT.IO;

/// <summary>
/// A safetensors file opened read-only and memory-mapped: an 8-byte little-endian header length, a JSON header
/// <c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}</c>, then the data
/// section. The header is checked completely when the file is opened (see <see cref="Open"/>); reads then
/// convert straight from the mapping, so only the pages of the tensors read are brought in from disk.
/// </summary>
/// <remarks>
/// Reads may run on several threads at once; <see cref="Dispose"/> must not run concurrently with them.
/// Data is read little-endian as the format prescribes, so the reader runs on little-endian machines only.
/// Tensor data need not be aligned in the file; every read here is an unaligned one.
/// </remarks>
public sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>The largest header accepted, in bytes (the reference implementation's limit).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Elements converted per span in the chunked readers, so no span exceeds 2 GiB.</summary>
    private const int ConversionChunk = 1 << 26;

    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;
    private bool _disposed;

    private SafetensorsFile(string path, long fileLength, MemoryMappedFile mapping, MemoryMappedViewAccessor view, byte* basePointer,
        SafetensorsHeader.Contents contents)
    {
        FilePath = path;
        FileLength = fileLength;
        _mapping = mapping;
        _view = view;
        _base = basePointer;
        Metadata = contents.Metadata;
        Tensors = contents.Tensors;
        _byName = contents.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The full path of the file.</summary>
    public string FilePath { get; }

    /// <summary>The file's size in bytes.</summary>
    public long FileLength { get; }

    /// <summary>The header's <c>__metadata__</c> entries; empty when the header has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor in the file, in the order of their data.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>
    /// Opens and maps <paramref name="path"/> and checks its header: the header length fits the file and is at most
    /// <see cref="MaxHeaderLength"/>; the header is a JSON object; each tensor has a known dtype, non-negative
    /// shape and offsets, <c>end ≥ begin</c>, offsets inside the data section, and exactly
    /// product(shape) × dtype size bytes; the tensors tile the data section with no overlap, hole or trailing bytes
    /// (as the reference implementation requires).
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="SafetensorsFormatException">The file breaks the format; the message names the file and tensor.</exception>
    /// <exception cref="PlatformNotSupportedException">The machine is big-endian.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Safetensors data is little-endian; this reader runs on little-endian machines only.");
        }
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"Safetensors file '{fullPath}' does not exist.", fullPath);
        }

        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        long fileLength = stream.Length;
        if (fileLength < sizeof(ulong))
        {
            stream.Dispose();
            throw new SafetensorsFormatException(fullPath, null,
                $"the file is {fileLength} bytes, shorter than the 8-byte header length: it is truncated or not a safetensors file.");
        }

        MemoryMappedFile? mapping = null;
        MemoryMappedViewAccessor? view = null;
        byte* basePointer = null;
        try
        {
            mapping = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePointer);
            basePointer += view.PointerOffset;

            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(basePointer, sizeof(ulong)));
            if (headerLength > MaxHeaderLength)
            {
                throw new SafetensorsFormatException(fullPath, null,
                    $"the header length field says {headerLength} bytes, beyond the {MaxHeaderLength}-byte limit: the file is corrupt or not a safetensors file.");
            }
            if ((long)headerLength > fileLength - sizeof(ulong))
            {
                throw new SafetensorsFormatException(fullPath, null,
                    $"the header length field says {headerLength} bytes but only {fileLength - sizeof(ulong)} follow it: the file is truncated.");
            }

            long dataSectionStart = sizeof(ulong) + (long)headerLength;
            var headerBytes = new ReadOnlySpan<byte>(basePointer + sizeof(ulong), (int)headerLength).ToArray();
            var contents = SafetensorsHeader.Parse(headerBytes, fullPath, dataSectionStart, fileLength - dataSectionStart);
            return new SafetensorsFile(fullPath, fileLength, mapping, view, basePointer, contents);
        }
        catch
        {
            if (basePointer != null)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }
            view?.Dispose();
            mapping?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Whether the file holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name)
    {
        ThrowIfDisposed();
        return _byName.ContainsKey(name);
    }

    /// <summary>Looks up a tensor's entry without throwing.</summary>
    public bool TryGetInfo(string name, [NotNullWhen(true)] out SafetensorsTensorInfo? info)
    {
        ThrowIfDisposed();
        return _byName.TryGetValue(name, out info);
    }

    /// <summary>The entry of tensor <paramref name="name"/>.</summary>
    /// <exception cref="TensorNotFoundException">No such tensor; the message lists the closest names.</exception>
    public SafetensorsTensorInfo GetInfo(string name)
    {
        ThrowIfDisposed();
        return _byName.TryGetValue(name, out var info)
            ? info
            : throw new TensorNotFoundException(name, FilePath, NameSuggestions.Closest(name, _byName.Keys));
    }

    /// <summary>
    /// The raw bytes of tensor <paramref name="name"/>, read straight from the mapping with no copy.
    /// The span is valid only until this file is disposed: reading it afterwards reads unmapped memory and can
    /// crash the process, so never keep it (or anything made from it) beyond the file's lifetime.
    /// </summary>
    /// <exception cref="TensorNotFoundException">No such tensor.</exception>
    /// <exception cref="NotSupportedException">The tensor is 2 GiB or larger; use <see cref="GetBytes(string, long, int)"/>.</exception>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var info = GetInfo(name);
        if (info.ByteLength > int.MaxValue)
        {
            throw new NotSupportedException(
                $"Tensor '{name}' in '{FilePath}' is {info.ByteLength} bytes, too large for one span; read it in parts with GetBytes(name, byteOffset, byteCount).");
        }
        return MappedSpan(info.FileOffset, (int)info.ByteLength);
    }

    /// <summary>
    /// <paramref name="byteCount"/> raw bytes of tensor <paramref name="name"/> from <paramref name="byteOffset"/>
    /// within it; for tensors too large for one span. Same lifetime rule as <see cref="GetBytes(string)"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range leaves the tensor.</exception>
    public ReadOnlySpan<byte> GetBytes(string name, long byteOffset, int byteCount)
    {
        var info = GetInfo(name);
        ArgumentOutOfRangeException.ThrowIfNegative(byteOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        if (byteOffset + byteCount > info.ByteLength)
        {
            throw new ArgumentOutOfRangeException(nameof(byteCount),
                $"Bytes [{byteOffset}, {byteOffset + byteCount}] leave tensor '{name}' in '{FilePath}', which is {info.ByteLength} bytes.");
        }
        return MappedSpan(info.FileOffset + byteOffset, byteCount);
    }

    /// <summary>Converts tensor <paramref name="name"/> (F32, F16, BF16 or F64) to floats in <paramref name="destination"/>.</summary>
    /// <exception cref="TensorNotFoundException">No such tensor.</exception>
    /// <exception cref="NotSupportedException">The tensor's dtype is not one of those.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/>'s length is not the tensor's element count.</exception>
    public void ReadAsFloat32(string name, Span<float> destination)
    {
        var info = GetInfo(name);
        ThrowIfLengthDiffers(info, destination.Length);
        switch (info.DType)
        {
            case SafetensorsDType.F32:
                ForEachChunk<float, float>(info, destination, static (source, target) => source.CopyTo(target));
                break;
            case SafetensorsDType.F16:
                ForEachChunk<Half, float>(info, destination, static (source, target) => TensorPrimitives.ConvertToSingle(source, target));
                break;
            case SafetensorsDType.BF16:
                ForEachChunk<ushort, float>(info, destination, BFloat16.ToSingle);
                break;
            case SafetensorsDType.F64:
                ForEachChunk<double, float>(info, destination, static (source, target) =>
                {
                    for (int i = 0; i < source.Length; i++)
                    {
                        target[i] = (float)source[i];
                    }
                });
                break;
            default:
                throw UnsupportedDType(info, nameof(ReadAsFloat32), "F32, F16, BF16, F64");
        }
    }

    /// <summary>Tensor <paramref name="name"/> (F32, F16, BF16 or F64) as a new float array.</summary>
    /// <inheritdoc cref="ReadAsFloat32(string, Span{float})" path="/exception"/>
    public float[] ReadFloat32(string name)
    {
        var values = new float[ElementCountAsInt32(GetInfo(name))];
        ReadAsFloat32(name, values);
        return values;
    }

    /// <summary>
    /// Converts tensor <paramref name="name"/> (F32, F16 or BF16) to bfloat16 bits in <paramref name="destination"/>,
    /// rounding to nearest even (see <see cref="BFloat16"/>). F64 is refused: narrowing it through F32 would
    /// round twice.
    /// </summary>
    /// <exception cref="TensorNotFoundException">No such tensor.</exception>
    /// <exception cref="NotSupportedException">The tensor's dtype is not one of those.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/>'s length is not the tensor's element count.</exception>
    public void ReadAsBFloat16(string name, Span<ushort> destination)
    {
        var info = GetInfo(name);
        ThrowIfLengthDiffers(info, destination.Length);
        switch (info.DType)
        {
            case SafetensorsDType.BF16:
                ForEachChunk<ushort, ushort>(info, destination, static (source, target) => source.CopyTo(target));
                break;
            case SafetensorsDType.F32:
                ForEachChunk<float, ushort>(info, destination, BFloat16.FromSingle);
                break;
            case SafetensorsDType.F16:
                ForEachChunk<Half, ushort>(info, destination, static (source, target) =>
                {
                    // Half to float is exact, so this rounds once.
                    Span<float> widened = stackalloc float[1024];
                    for (int start = 0; start < source.Length; start += widened.Length)
                    {
                        int count = Math.Min(widened.Length, source.Length - start);
                        TensorPrimitives.ConvertToSingle(source.Slice(start, count), widened[..count]);
                        BFloat16.FromSingle(widened[..count], target.Slice(start, count));
                    }
                });
                break;
            default:
                throw UnsupportedDType(info, nameof(ReadAsBFloat16), "F32, F16, BF16");
        }
    }

    /// <summary>Tensor <paramref name="name"/> (F32, F16 or BF16) as a new array of bfloat16 bits.</summary>
    /// <inheritdoc cref="ReadAsBFloat16(string, Span{ushort})" path="/exception"/>
    public ushort[] ReadBFloat16(string name)
    {
        var values = new ushort[ElementCountAsInt32(GetInfo(name))];
        ReadAsBFloat16(name, values);
        return values;
    }

    /// <summary>
    /// Converts integer tensor <paramref name="name"/> (I64, I32, I16, I8, U64, U32, U16, U8 or BOOL) to
    /// <see cref="int"/> values, checking that every value fits.
    /// </summary>
    /// <exception cref="TensorNotFoundException">No such tensor.</exception>
    /// <exception cref="NotSupportedException">The tensor is not an integer tensor.</exception>
    /// <exception cref="OverflowException">A value lies outside the <see cref="int"/> range; the message gives its index.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/>'s length is not the tensor's element count.</exception>
    public void ReadAsInt32(string name, Span<int> destination) => ReadIntegers(GetInfo(name), destination, nameof(ReadAsInt32));

    /// <summary>Integer tensor <paramref name="name"/> as a new <see cref="int"/> array.</summary>
    /// <inheritdoc cref="ReadAsInt32(string, Span{int})" path="/exception"/>
    public int[] ReadInt32(string name)
    {
        var values = new int[ElementCountAsInt32(GetInfo(name))];
        ReadAsInt32(name, values);
        return values;
    }

    /// <summary>
    /// Converts integer tensor <paramref name="name"/> (I64, I32, I16, I8, U64, U32, U16, U8 or BOOL) to
    /// <see cref="long"/> values, checking that every U64 value fits.
    /// </summary>
    /// <inheritdoc cref="ReadAsInt32(string, Span{int})" path="/exception"/>
    public void ReadAsInt64(string name, Span<long> destination) => ReadIntegers(GetInfo(name), destination, nameof(ReadAsInt64));

    /// <summary>Integer tensor <paramref name="name"/> as a new <see cref="long"/> array.</summary>
    /// <inheritdoc cref="ReadAsInt32(string, Span{int})" path="/exception"/>
    public long[] ReadInt64(string name)
    {
        var values = new long[ElementCountAsInt32(GetInfo(name))];
        ReadAsInt64(name, values);
        return values;
    }

    /// <summary>Unmaps the file. Spans returned by <see cref="GetBytes(string)"/> must not be read afterwards.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _mapping.Dispose();
    }

    /// <summary>The file's name and tensor count.</summary>
    public override string ToString() => $"{FilePath} ({Tensors.Count} tensors)";

    private delegate void ChunkConverter<TSource, TTarget>(ReadOnlySpan<TSource> source, Span<TTarget> target);

    private void ReadIntegers<TTarget>(SafetensorsTensorInfo info, Span<TTarget> destination, string reader)
        where TTarget : unmanaged, IBinaryInteger<TTarget>
    {
        ThrowIfLengthDiffers(info, destination.Length);
        switch (info.DType)
        {
            case SafetensorsDType.I64: ConvertIntegers<long, TTarget>(info, destination); break;
            case SafetensorsDType.I32: ConvertIntegers<int, TTarget>(info, destination); break;
            case SafetensorsDType.I16: ConvertIntegers<short, TTarget>(info, destination); break;
            case SafetensorsDType.I8: ConvertIntegers<sbyte, TTarget>(info, destination); break;
            case SafetensorsDType.U64: ConvertIntegers<ulong, TTarget>(info, destination); break;
            case SafetensorsDType.U32: ConvertIntegers<uint, TTarget>(info, destination); break;
            case SafetensorsDType.U16: ConvertIntegers<ushort, TTarget>(info, destination); break;
            case SafetensorsDType.U8:
            case SafetensorsDType.BOOL: ConvertIntegers<byte, TTarget>(info, destination); break;
            default: throw UnsupportedDType(info, reader, "I64, I32, I16, I8, U64, U32, U16, U8, BOOL");
        }
    }

    /// <summary>Narrows or widens each value, with an overflow check that names the element.</summary>
    private void ConvertIntegers<TSource, TTarget>(SafetensorsTensorInfo info, Span<TTarget> destination)
        where TSource : unmanaged, IBinaryInteger<TSource>
        where TTarget : unmanaged, IBinaryInteger<TTarget>
    {
        int elementSize = sizeof(TSource);
        for (long start = 0; start < info.ElementCount; start += ConversionChunk)
        {
            int count = (int)Math.Min(ConversionChunk, info.ElementCount - start);
            var source = MemoryMarshal.Cast<byte, TSource>(MappedSpan(info.FileOffset + start * elementSize, count * elementSize));
            var target = destination.Slice((int)start, count);
            for (int i = 0; i < count; i++)
            {
                TSource value = source[i];
                TTarget converted = TTarget.CreateTruncating(value);
                if (TSource.CreateTruncating(converted) != value || TSource.IsNegative(value) != TTarget.IsNegative(converted))
                {
                    throw new OverflowException(
                        $"Tensor '{info.Name}' in '{FilePath}': element {start + i} is {value}, outside the {typeof(TTarget).Name} range.");
                }
                target[i] = converted;
            }
        }
    }

    /// <summary>Runs <paramref name="convert"/> over the tensor in spans of at most <see cref="ConversionChunk"/> elements.</summary>
    private void ForEachChunk<TSource, TTarget>(SafetensorsTensorInfo info, Span<TTarget> destination, ChunkConverter<TSource, TTarget> convert)
        where TSource : unmanaged
    {
        int elementSize = sizeof(TSource);
        for (long start = 0; start < info.ElementCount; start += ConversionChunk)
        {
            int count = (int)Math.Min(ConversionChunk, info.ElementCount - start);
            var source = MemoryMarshal.Cast<byte, TSource>(MappedSpan(info.FileOffset + start * elementSize, count * elementSize));
            convert(source, destination.Slice((int)start, count));
        }
    }

    private ReadOnlySpan<byte> MappedSpan(long fileOffset, int length)
    {
        ThrowIfDisposed();
        return new ReadOnlySpan<byte>(_base + fileOffset, length);
    }

    private void ThrowIfLengthDiffers(SafetensorsTensorInfo info, int destinationLength)
    {
        if (info.ElementCount != destinationLength)
        {
            throw new ArgumentException(
                $"Tensor '{info.Name}' in '{FilePath}' has {info.ElementCount} elements (shape [{string.Join(", ", info.Shape)}]) but the destination holds {destinationLength}.",
                "destination");
        }
    }

    private int ElementCountAsInt32(SafetensorsTensorInfo info) =>
        info.ElementCount <= Array.MaxLength
            ? (int)info.ElementCount
            : throw new NotSupportedException(
                $"Tensor '{info.Name}' in '{FilePath}' has {info.ElementCount} elements, more than one array holds; read it into a span.");

    private NotSupportedException UnsupportedDType(SafetensorsTensorInfo info, string reader, string supported) =>
        new($"Tensor '{info.Name}' in '{FilePath}' has dtype {info.DType.ToHeaderName()}; {reader} reads {supported}.");

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
