using DePT.Native;
using DePT.Tensors;

namespace DePT.Backends.Cuda;

// Elementwise ops, dropout and KV-cache writes: src/DePT.Kernels/elementwise.cuh.
public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void Add(Tensor output, Tensor a, Tensor b)
    {
        const string op = nameof(Add);
        OpChecks.Float(op, nameof(output), output, Device);
        OpChecks.Float(op, nameof(a), a, Device);
        OpChecks.Float(op, nameof(b), b, Device);
        OpChecks.SameShape(op, nameof(b), b, nameof(a), a);
        OpChecks.SameShape(op, nameof(output), output, nameof(a), a);
        var args = new AddArgs { Out = Ptr(output), A = Ptr(a), B = Ptr(b), Count = output.Length, Bf16 = Bf16(output, 0) | Bf16(a, 1) | Bf16(b, 2) };
        CudaDevice.Kernels.Launch("ew_add", FlatChunks(output.Length), args);
    }

    /// <inheritdoc />
    public void Scale(Tensor output, Tensor input, float factor)
    {
        const string op = nameof(Scale);
        OpChecks.Float(op, nameof(output), output, Device);
        OpChecks.Float(op, nameof(input), input, Device);
        OpChecks.SameShape(op, nameof(output), output, nameof(input), input);
        LaunchScale(output, input, factor);
    }

    /// <inheritdoc />
    public void Copy(Tensor output, Tensor input)
    {
        const string op = nameof(Copy);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(input);
        if (output.DType == input.DType)
        {
            OpChecks.Count(op, nameof(output), output, input.Length, $"the element count of {nameof(input)} {input.ShapeText}");
            if (ReferenceEquals(output, input)) return;
            OnThisDevice(op, nameof(output), output);
            OnThisDevice(op, nameof(input), input);
            CudaDevice.MakeCurrent();
            CudaException.ThrowIfFailed(CudaDriver.cuMemcpyDtoDAsync_v2(((DeviceStorage)output.Storage).Pointer,
                ((DeviceStorage)input.Storage).Pointer, (nuint)input.ByteSize, CudaDevice.Stream));
            return;
        }
        OpChecks.Float(op, nameof(output), output, Device);
        OpChecks.Float(op, nameof(input), input, Device);
        OpChecks.Count(op, nameof(output), output, input.Length, $"the element count of {nameof(input)} {input.ShapeText}");
        LaunchScale(output, input, 1f);   // x · 1 is x exactly: the kernel only converts
    }

    /// <inheritdoc />
    public void Fill(Tensor output, float value)
    {
        OpChecks.Float(nameof(Fill), nameof(output), output, Device);
        var args = new FillArgs { Out = Ptr(output), Count = output.Length, Bf16 = Bf16(output, 0), Value = value };
        CudaDevice.Kernels.Launch("ew_fill", FlatChunks(output.Length), args);
    }

    /// <inheritdoc />
    public void Dropout(Tensor output, Tensor input, float rate, ulong seed, ulong stream) =>
        LaunchDropout(nameof(Dropout), nameof(output), output, nameof(input), input, rate, seed, stream);

    /// <inheritdoc />
    public void DropoutBackward(Tensor dInput, Tensor dOutput, float rate, ulong seed, ulong stream) =>
        LaunchDropout(nameof(DropoutBackward), nameof(dInput), dInput, nameof(dOutput), dOutput, rate, seed, stream);

    /// <inheritdoc />
    public void WriteRows(Tensor cache, Tensor rows, int position)
    {
        const string op = nameof(WriteRows);
        OpChecks.FloatRank(op, nameof(cache), cache, 3, Device);
        OpChecks.FloatRank(op, nameof(rows), rows, 3, Device);
        int batch = cache.Dim(0), capacity = cache.Dim(1), dim = cache.Dim(2), count = rows.Dim(1);
        OpChecks.Shape(op, nameof(rows), rows, $"(B={batch}, Tn, d={dim})", batch, count, dim);
        if (position < 0 || position > capacity - count)
            throw new ArgumentOutOfRangeException(nameof(position),
                $"{op}: rows {position}..{position + count - 1} do not fit the cache {cache.ShapeText} of {capacity} rows.");
        var args = new WriteRowsArgs
        {
            Cache = Ptr(cache), Rows = Ptr(rows), Batch = batch, RowCount = count, Capacity = capacity, Dim = dim, Position = position,
            Bf16 = Bf16(cache, 0) | Bf16(rows, 1),
        };
        CudaDevice.Kernels.Launch("ew_write_rows", Flat(Chunks((long)batch * count, dim)), args);
    }

    private void LaunchScale(Tensor output, Tensor input, float factor)
    {
        var args = new ScaleArgs { Out = Ptr(output), Inp = Ptr(input), Count = output.Length, Bf16 = Bf16(output, 0) | Bf16(input, 1), Factor = factor };
        CudaDevice.Kernels.Launch("ew_scale", FlatChunks(output.Length), args);
    }

    private void LaunchDropout(string op, string outputName, Tensor output, string inputName, Tensor input, float rate, ulong seed, ulong stream)
    {
        OpChecks.Float(op, outputName, output, Device);
        OpChecks.Float(op, inputName, input, Device);
        OpChecks.SameShape(op, outputName, output, inputName, input);
        if (!(rate >= 0f && rate < 1f))
            throw new ArgumentOutOfRangeException(nameof(rate), rate, $"{op}: the dropout rate must lie in [0, 1).");
        if (rate == 0f)
        {
            Copy(output, input);
            return;
        }
        var args = new DropoutArgs
        {
            Out = Ptr(output), Inp = Ptr(input), Count = output.Length, Seed = seed, Stream = stream,
            Bf16 = Bf16(output, 0) | Bf16(input, 1), Rate = rate, KeepScale = 1f / (1f - rate),
        };
        CudaDevice.Kernels.Launch("ew_dropout", FlatChunks(output.Length), args);
    }

    private void OnThisDevice(string op, string name, Tensor tensor)
    {
        if (tensor.Device != Device)
            throw new ArgumentException($"{op}: {name} is on {tensor.Device}, the backend runs on {Device}.", name);
    }
}
