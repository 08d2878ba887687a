using System.Runtime.InteropServices;
using DePT.Numerics;
using DePT.Tensors;

namespace DePT.Backends.Cpu;

// Helpers of the transformer ops: parallel ranges, whole-tensor fp32 views, and chunked elementwise loops.
public sealed partial class CpuBackend
{
    /// <summary>Below this many operations an op stays on the calling thread (a parallel loop costs microseconds to start).</summary>
    private const long ParallelWork = 1L << 20;

    /// <summary>Elements per chunk of an elementwise loop: small enough for L1/L2, large enough to amortise the conversions.</summary>
    private const int Chunk = 4096;

    private delegate void RangeBody(int start, int end);

    private delegate void ChunkMap(long offset, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result);

    /// <summary>
    /// Runs body over [0, count) in contiguous ranges, in parallel when count · workPerItem is large. Ranges
    /// never share an output item, so the result does not depend on how the range is split.
    /// </summary>
    private static void ForEachRange(int count, long workPerItem, RangeBody body)
    {
        int workers = Environment.ProcessorCount;
        if (count <= 1 || workers == 1 || (long)count * workPerItem < ParallelWork)
        {
            body(0, count);
            return;
        }
        int ranges = Math.Min(count, workers * 4);
        Parallel.For(0, ranges, r => body((int)((long)count * r / ranges), (int)((long)count * (r + 1) / ranges)));
    }

    /// <summary>The whole tensor widened to a new fp32 array.</summary>
    private static float[] ReadAll(Tensor tensor)
    {
        var values = GC.AllocateUninitializedArray<float>((int)tensor.Length);
        ReadRow(tensor, 0, values);
        return values;
    }

    /// <summary>
    /// result = map(a, b) over every element, in chunks (b may be null: map then sees an empty span). The
    /// chunk is read before it is written, so the output may be a or b.
    /// </summary>
    private static void Map(Tensor output, Tensor a, Tensor? b, long workPerElement, ChunkMap map)
    {
        long length = output.Length;
        int chunks = (int)((length + Chunk - 1) / Chunk);
        ForEachRange(chunks, Chunk * workPerElement, (start, end) =>
        {
            var bufferA = new float[Chunk];
            var bufferB = b is null ? [] : new float[Chunk];
            var result = new float[Chunk];
            for (int c = start; c < end; c++)
            {
                long offset = (long)c * Chunk;
                int n = (int)Math.Min(Chunk, length - offset);
                ReadRow(a, offset, bufferA.AsSpan(0, n));
                if (b is not null) ReadRow(b, offset, bufferB.AsSpan(0, n));
                map(offset, bufferA.AsSpan(0, n), b is null ? default : bufferB.AsSpan(0, n), result.AsSpan(0, n));
                WriteRow(output, offset, result.AsSpan(0, n));
            }
        });
    }

    /// <summary>
    /// A tensor's values as fp32 at a fixed address: the tensor's own memory when it is F32, else a widened
    /// copy that <see cref="Commit"/> narrows back. Dispose unpins.
    /// </summary>
    private sealed unsafe class PinnedFloats : IDisposable
    {
        private readonly Tensor _tensor;
        private readonly float[]? _copy;
        private GCHandle _handle;

        private PinnedFloats(Tensor tensor, bool read)
        {
            _tensor = tensor;
            if (tensor.DType == DType.F32)
            {
                _handle = GCHandle.Alloc(Host(tensor).Bytes, GCHandleType.Pinned);
            }
            else
            {
                _copy = read ? ReadAll(tensor) : new float[tensor.Length];
                _handle = GCHandle.Alloc(_copy, GCHandleType.Pinned);
            }
            Pointer = (float*)_handle.AddrOfPinnedObject();
        }

        public float* Pointer { get; }

        /// <summary>For inputs (and outputs that are added to): the current values.</summary>
        public static PinnedFloats Read(Tensor tensor) => new(tensor, read: true);

        /// <summary>For outputs that are overwritten: the values are undefined until written.</summary>
        public static PinnedFloats Write(Tensor tensor) => new(tensor, read: false);

        /// <summary>Stores a widened copy back into its BF16 tensor; nothing to do for F32.</summary>
        public void Commit()
        {
            if (_copy is not null) BFloat16.FromSingle(_copy, Host(_tensor).AsSpan<ushort>());
        }

        public void Dispose()
        {
            if (_handle.IsAllocated) _handle.Free();
        }
    }
}
