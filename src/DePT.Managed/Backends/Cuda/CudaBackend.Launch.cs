using DePT.Kernels;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

// Launch helpers of the transformer ops: grid sizes for the grid-stride and row kernels, the bf16 bits of
// the argument structs, and pooled scratch tensors.
public sealed partial class CudaBackend
{
    private const uint FlatThreads = 256;      // blockDim of every grid-stride kernel
    private const int BlocksPerMultiprocessor = 16;

    /// <summary>A grid-stride launch over <paramref name="items"/> work items: enough blocks to fill the device a few times, no more.</summary>
    private LaunchShape Flat(long items)
    {
        if (items <= 0) return new LaunchShape(0, 1, 1, FlatThreads);
        long blocks = Math.Min((items + FlatThreads - 1) / FlatThreads, (long)CudaDevice.MultiprocessorCount * BlocksPerMultiprocessor);
        return new LaunchShape((uint)blocks, 1, 1, FlatThreads);
    }

    /// <summary>A grid-stride launch over <paramref name="count"/> flat elements taken 8 at a time.</summary>
    private LaunchShape FlatChunks(long count) => Flat((count + 7) / 8);

    /// <summary>Work items of 8 consecutive columns over <paramref name="rows"/> rows of <paramref name="width"/>.</summary>
    private static long Chunks(long rows, int width) => rows * ((width + 7L) / 8);

    /// <summary>
    /// One block per row of <paramref name="width"/> columns, each thread taking chunks of 8: a multiple of
    /// 32 threads near width / 8, between 32 and <paramref name="maxThreads"/>.
    /// </summary>
    private static LaunchShape PerRow(long rows, int width, int maxThreads)
    {
        long chunks = (width + 7L) / 8;
        uint threads = (uint)Math.Clamp((chunks + 31) / 32 * 32, 32, maxThreads);
        return new LaunchShape(checked((uint)rows), 1, 1, threads);
    }

    /// <summary>Bit <paramref name="bit"/> of a struct's <c>bf16</c> field: set when the tensor at that pointer position is bf16.</summary>
    private static int Bf16(Tensor? tensor, int bit) => tensor?.DType == DType.BF16 ? 1 << bit : 0;

    /// <summary>
    /// A copy of <paramref name="source"/> in <paramref name="dtype"/> from the pool (the caller disposes it
    /// once the work reading it is queued: the stream runs that work before anything reuses the block).
    /// </summary>
    private Tensor Converted(Tensor source, DType dtype)
    {
        var copy = Allocate(dtype, source.Shape.ToArray());
        try
        {
            Copy(copy, source);
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }
}
