using DePT.Native;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

// Elementwise ops, dropout and KV-cache writes: src/DePT.Kernels/elementwise.cuh.
public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void Add(Tensor output, Tensor a, Tensor b)
    {
        long count = OpChecks.Elementwise(nameof(Add), Device, (nameof(output), output), (nameof(a), a), (nameof(b), b));
        var args = new AddArgs { Out = Ptr(output), A = Ptr(a), B = Ptr(b), Count = count, Bf16 = Bf16(output, 0) | Bf16(a, 1) | Bf16(b, 2) };
        CudaDevice.Kernels.Launch("ew_add", FlatChunks(count), args);
    }

    /// <inheritdoc />
    public void Scale(Tensor output, Tensor input, float factor)
    {
        OpChecks.Elementwise(nameof(Scale), Device, (nameof(output), output), (nameof(input), input));
        LaunchScale(output, input, factor);
    }

    /// <inheritdoc />
    public void Copy(Tensor output, Tensor input)
    {
        const string op = nameof(Copy);
        OpChecks.Float(op, nameof(output), output, Device);
        OpChecks.Float(op, nameof(input), input, Device);
        if (output.Length != input.Length)
            throw new ArgumentException($"{op}: output {output.ShapeText} holds {output.Length} elements, input {input.ShapeText} holds {input.Length}.");
        if (output.DType != input.DType)
        {
            LaunchScale(output, input, 1f);   // x · 1 is x exactly: the kernel only converts
            return;
        }
        if (ReferenceEquals(output, input) || input.ByteSize == 0) return;
        CudaDevice.MakeCurrent();
        CudaException.ThrowIfFailed(CudaDriver.cuMemcpyDtoDAsync_v2(DevicePointer(output), DevicePointer(input), (nuint)input.ByteSize, CudaDevice.Stream));
    }

    /// <inheritdoc />
    public void Fill(Tensor output, float value)
    {
        OpChecks.Float(nameof(Fill), nameof(output), output, Device);
        var args = new FillArgs { Out = Ptr(output), Count = output.Length, Bf16 = Bf16(output, 0), Value = value };
        CudaDevice.Kernels.Launch("ew_fill", FlatChunks(output.Length), args);
    }

    /// <inheritdoc />
    public void Dropout(Tensor output, Tensor input, float rate, ulong seed, ulong stream)
    {
        OpChecks.Elementwise(nameof(Dropout), Device, (nameof(output), output), (nameof(input), input));
        OpChecks.DropoutRate(nameof(Dropout), rate);
        LaunchDropout(output, input, rate, seed, stream);
    }

    /// <inheritdoc />
    public void DropoutBackward(Tensor dInput, Tensor dOutput, float rate, ulong seed, ulong stream)
    {
        OpChecks.Elementwise(nameof(DropoutBackward), Device, (nameof(dInput), dInput), (nameof(dOutput), dOutput));
        OpChecks.DropoutRate(nameof(DropoutBackward), rate);
        LaunchDropout(dInput, dOutput, rate, seed, stream);
    }

    /// <inheritdoc />
    public void WriteRows(Tensor cache, Tensor rows, int position)
    {
        var (batch, count, capacity, dim) = OpChecks.CacheRows(nameof(WriteRows), Device, cache, rows, position);
        var args = new WriteRowsArgs
        {
            Cache = Ptr(cache), Rows = Ptr(rows), Batch = batch, RowCount = count, Capacity = capacity, Dim = dim, Position = position,
            Bf16 = Bf16(cache, 0) | Bf16(rows, 1),
        };
        CudaDevice.Kernels.Launch("ew_write_rows", Flat(Chunks((long)batch * count, dim)), args);
    }

    /// <inheritdoc />
    public void ReadRows(Tensor rows, Tensor cache, int position)
    {
        var (batch, count, capacity, dim) = OpChecks.CacheRows(nameof(ReadRows), Device, cache, rows, position);
        var args = new ReadRowsArgs
        {
            Rows = Ptr(rows), Cache = Ptr(cache), Batch = batch, RowCount = count, Capacity = capacity, Dim = dim, Position = position,
            Bf16 = Bf16(rows, 0) | Bf16(cache, 1),
        };
        CudaDevice.Kernels.Launch("ew_read_rows", Flat(Chunks((long)batch * count, dim)), args);
    }

    /// <inheritdoc />
    public void GatherRows(Tensor output, Tensor input, Tensor rowIndices)
    {
        var (count, rows, dim) = OpChecks.IndexedRows(nameof(GatherRows), Device, output, nameof(output), input, nameof(input), rowIndices);
        LaunchIndexedRows("ew_gather_rows", output, input, rowIndices, count, rows, dim);
    }

    /// <inheritdoc />
    public void GatherRowsBackward(Tensor dInput, Tensor dOutput, Tensor rowIndices)
    {
        var (count, rows, dim) = OpChecks.IndexedRows(nameof(GatherRowsBackward), Device, dOutput, nameof(dOutput), dInput, nameof(dInput), rowIndices);
        Fill(dInput, 0f);
        LaunchIndexedRows("ew_scatter_rows", dInput, dOutput, rowIndices, count, rows, dim);
    }

    private void LaunchIndexedRows(string kernel, Tensor output, Tensor input, Tensor rowIndices, int count, int rows, int dim)
    {
        var args = new IndexedRowsArgs
        {
            Out = Ptr(output), Inp = Ptr(input), Indices = Ptr(rowIndices), ErrorWord = CudaDevice.ErrorWord.Address,
            Count = count, Rows = rows, Dim = dim, Bf16 = Bf16(output, 0) | Bf16(input, 1),
        };
        CudaDevice.Kernels.Launch(kernel, Flat(Chunks(count, dim)), args);
    }

    private void LaunchScale(Tensor output, Tensor input, float factor)
    {
        var args = new ScaleArgs { Out = Ptr(output), Inp = Ptr(input), Count = output.Length, Bf16 = Bf16(output, 0) | Bf16(input, 1), Factor = factor };
        CudaDevice.Kernels.Launch("ew_scale", FlatChunks(output.Length), args);
    }

    // The same map forward and backward: element i kept and scaled, or zeroed, by DropoutHash's uniform.
    private void LaunchDropout(Tensor output, Tensor input, float rate, ulong seed, ulong stream)
    {
        if (rate == 0f)
        {
            Copy(output, input);
            return;
        }
        var args = new DropoutArgs
        {
            Out = Ptr(output), Inp = Ptr(input), Count = output.Length, Key = DropoutHash.Key(seed, stream),
            Bf16 = Bf16(output, 0) | Bf16(input, 1), Rate = rate, KeepScale = 1f / (1f - rate),
        };
        CudaDevice.Kernels.Launch("ew_dropout", FlatChunks(output.Length), args);
    }
}
