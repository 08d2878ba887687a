using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>
/// tanh and its backward for BERT's pooler, computed on the host: the op interface has no tanh activation (nor a
/// sigmoid to build it from), and the pooled tensor is only (B, d). This is a stand-in until
/// <c>ActivationFunction.Tanh</c> exists in <see cref="Backends.IBackend.Activation"/> and its backward; it costs one
/// device-to-host copy (a synchronisation) per call on CUDA.
/// </summary>
internal static class HostTanh
{
    /// <summary>x = tanh(x), in place.</summary>
    public static void Forward(Tensor x)
    {
        float[] values = x.ToFloatArray();
        for (int i = 0; i < values.Length; i++) values[i] = MathF.Tanh(values[i]);
        x.CopyFrom(values);
    }

    /// <summary>dInput = dOutput · (1 − y²) with y = tanh(input), the saved forward output.</summary>
    public static void Backward(Tensor dInput, Tensor dOutput, Tensor output)
    {
        float[] gradient = dOutput.ToFloatArray();
        float[] y = output.ToFloatArray();
        for (int i = 0; i < gradient.Length; i++) gradient[i] *= 1f - y[i] * y[i];
        dInput.CopyFrom(gradient);
    }
}
