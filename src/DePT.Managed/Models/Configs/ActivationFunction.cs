namespace DePT.Models;

/// <summary>The activation of a feed-forward block, as named by Hugging Face configs.</summary>
public enum ActivationFunction
{
    /// <summary><c>relu</c>: max(x, 0).</summary>
    Relu,

    /// <summary><c>gelu</c>: the exact GELU, x·Φ(x) = x/2·(1 + erf(x/√2)).</summary>
    Gelu,

    /// <summary>
    /// <c>gelu_new</c>, <c>gelu_pytorch_tanh</c>, <c>gelu_fast</c>: the tanh approximation
    /// x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))). T5 v1.1's <c>gated-gelu</c> uses this one.
    /// </summary>
    GeluTanh,

    /// <summary><c>silu</c>, <c>swish</c>: x·sigmoid(x).</summary>
    Silu,

    /// <summary><c>tanh</c>: BERT's pooler.</summary>
    Tanh,
}
