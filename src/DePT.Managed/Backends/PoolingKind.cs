namespace DePT.Backends;

/// <summary>How an encoder's token states become one vector per example.</summary>
public enum PoolingKind
{
    /// <summary>The mean over unmasked positions (sentence-transformers' pooling).</summary>
    Mean,

    /// <summary>The first position ([CLS]).</summary>
    Cls,
}
