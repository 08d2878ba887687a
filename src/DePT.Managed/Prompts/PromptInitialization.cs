namespace DePT.Prompts;

/// <summary>How the soft prompt P (m, d) starts, as in PEFT's <c>PromptTuningInit</c>.</summary>
public enum PromptInitialization
{
    /// <summary>The frozen embeddings of a text's token ids, cycled to length m.</summary>
    Text,

    /// <summary>The frozen embeddings of m vocabulary rows drawn uniformly with a seed.</summary>
    SampleVocab,

    /// <summary>Uniform values in [−range, range] drawn with a seed (range 0.5 by default, as Lester et al. 2021).</summary>
    Random,
}
