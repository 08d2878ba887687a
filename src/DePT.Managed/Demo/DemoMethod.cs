namespace DePT.Demo;

/// <summary>The three models the demo trains on the frozen encoder.</summary>
public enum DemoMethod
{
    /// <summary>The classification head alone on mean-pooled sentence embeddings: the floor a prompt must beat.</summary>
    HeadOnly,
    /// <summary>Vanilla prompt tuning (L prompt rows) plus the head.</summary>
    PromptTuning,
    /// <summary>DePT (m rows plus a rank-r update of the input embeddings, same parameter count as PT) plus the head.</summary>
    DecomposedPromptTuning,
}
