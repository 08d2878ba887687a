namespace DePT.Models;

/// <summary>Maps Hugging Face activation names (transformers' ACT2FN keys) to <see cref="ActivationFunction"/>.</summary>
internal static class ActivationNames
{
    public const string Supported = "relu, gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, silu, swish";

    public static bool TryParse(string name, out ActivationFunction activation)
    {
        switch (name)
        {
            case "relu": activation = ActivationFunction.Relu; return true;
            case "gelu": activation = ActivationFunction.Gelu; return true;
            case "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast": activation = ActivationFunction.GeluTanh; return true;
            case "silu" or "swish": activation = ActivationFunction.Silu; return true;
            default: activation = default; return false;
        }
    }
}
