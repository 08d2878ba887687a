namespace DePT.Checkpoints;

/// <summary>The kind of prompt a file holds; written as "pt" or "dept".</summary>
public enum PromptMethod
{
    /// <summary>Vanilla prompt tuning: P only.</summary>
    PromptTuning,

    /// <summary>DePT: P, A and B.</summary>
    Decomposed,
}
