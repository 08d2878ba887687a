using DePT.Tensors;

namespace DePT.Backends;

/// <summary>Host values to new tensors on a backend.</summary>
public static class BackendUploads
{
    /// <summary>A new I32 tensor of <paramref name="shape"/> on <paramref name="backend"/> holding <paramref name="values"/> (token ids, masks, labels).</summary>
    public static Tensor UploadInt32(this IBackend backend, ReadOnlySpan<int> values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var tensor = backend.Allocate(DType.I32, shape);
        try
        {
            tensor.CopyFrom(values);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }
}
