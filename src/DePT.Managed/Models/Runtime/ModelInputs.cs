using DePT.Backends;
using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>Guard clauses at the models' public entry points; each message names the argument, its shape and what was expected.</summary>
internal static class ModelInputs
{
    public static void RequireRuntimeDType(DType dtype)
    {
        if (!dtype.IsFloatingPoint())
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "The runtime dtype of a model is F32 or BF16.");
    }

    /// <summary>inputs_embeds: (B, T, d), floating point, on the backend's device; returns (B, T).</summary>
    public static (int Batch, int Length) RequireEmbeddings(IBackend backend, Tensor inputsEmbeds, int modelDim, string name = "inputsEmbeds")
    {
        ArgumentNullException.ThrowIfNull(inputsEmbeds, name);
        RequireDevice(backend, inputsEmbeds, name);
        if (inputsEmbeds.Rank != 3 || inputsEmbeds.Dim(2) != modelDim || !inputsEmbeds.DType.IsFloatingPoint())
            throw new ArgumentException($"{name} is {inputsEmbeds.ShapeText}; expected a float tensor (B, T, d={modelDim}).", name);
        if (inputsEmbeds.Dim(0) < 1 || inputsEmbeds.Dim(1) < 1)
            throw new ArgumentException($"{name} {inputsEmbeds.ShapeText} is empty; need at least one example of one position.", name);
        return (inputsEmbeds.Dim(0), inputsEmbeds.Dim(1));
    }

    /// <summary>An I32 (B, T) tensor of ids or mask values.</summary>
    public static void RequireInt32(IBackend backend, Tensor tensor, int batch, int length, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        RequireDevice(backend, tensor, name);
        if (tensor.DType != DType.I32 || tensor.Rank != 2 || tensor.Dim(0) != batch || tensor.Dim(1) != length)
            throw new ArgumentException($"{name} is {tensor.ShapeText}; expected i32[{batch}, {length}] (B, T).", name);
    }

    /// <summary>An I32 (B, T) tensor with any T ≥ 1; returns T.</summary>
    public static int RequireInt32Rows(IBackend backend, Tensor tensor, int batch, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        RequireDevice(backend, tensor, name);
        if (tensor.DType != DType.I32 || tensor.Rank != 2 || tensor.Dim(0) != batch || tensor.Dim(1) < 1)
            throw new ArgumentException($"{name} is {tensor.ShapeText}; expected i32[{batch}, T] with T ≥ 1.", name);
        return tensor.Dim(1);
    }

    public static void RequireDevice(IBackend backend, Tensor tensor, string name)
    {
        if (tensor.Device != backend.Device)
            throw new ArgumentException($"{name} {tensor.ShapeText} is on {tensor.Device}; the model runs on {backend.Device}.", name);
    }
}
