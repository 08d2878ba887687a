using DePT.Data;

namespace DePT.Training.TextToText;

/// <summary>A training task whose model answers in text (T5, a causal LM): it generates for examples as well as training on them.</summary>
public interface ITextGenerationTask : ITrainingTask
{
    /// <summary>Greedy generations for every example's input, decoded, in order, <paramref name="batchSize"/> examples per pass.</summary>
    /// <exception cref="ArgumentException">There are no examples.</exception>
    string[] Generate(IReadOnlyList<Example> examples, int batchSize);
}
