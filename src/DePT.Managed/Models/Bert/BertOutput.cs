using DePT.Tensors;

namespace DePT.Models.Bert;

/// <summary>The outputs of an evaluation forward: last hidden state (B, T, d) and, with a pooler, the pooled output (B, d). Disposing releases both.</summary>
public sealed class BertOutput : IDisposable
{
    internal BertOutput(Tensor lastHiddenState, Tensor? pooledOutput)
    {
        LastHiddenState = lastHiddenState;
        PooledOutput = pooledOutput;
    }

    /// <summary>(B, T, d): the last layer's output.</summary>
    public Tensor LastHiddenState { get; }

    /// <summary>(B, d): tanh(W·h[:, 0] + b), or null when the pooler was not asked for.</summary>
    public Tensor? PooledOutput { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        PooledOutput?.Dispose();
        LastHiddenState.Dispose();
    }
}
