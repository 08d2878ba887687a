using DePT.Backends;
using DePT.Training;

namespace DePT.Prompts;

/// <summary>Vanilla prompt tuning: a soft prompt of length L = m, trainable parameters m·d.</summary>
public sealed class PromptTuning : SoftPrompt
{
    /// <summary>Allocates P (1, L, d) and dP on <paramref name="backend"/>, both zero; call an Initialize method next.</summary>
    public PromptTuning(IBackend backend, int promptLength, int dim) : base(backend, promptLength, dim)
    {
    }

    /// <inheritdoc />
    public override PromptParameters Parameters => PromptParameters.Vanilla(Prompt);

    /// <inheritdoc />
    public override PromptGradients Gradients => new(PromptGradient);

    /// <inheritdoc />
    public override long TrainableParameterCount => (long)PromptLength * Dim;

    /// <inheritdoc />
    public override IReadOnlyList<ParameterGroup> OptimizerGroups(AdamWSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return [new ParameterGroup(PromptGroupName, settings.PromptLearningRate, [PromptParameter])];
    }
}
