namespace DePT.Models.Runtime;

/// <summary>
/// Whether a forward pass applies dropout, and the seed its masks come from. Each dropout site draws from its own
/// stream of the counter-based generator, so the backward regenerates a site's mask from (seed, stream) instead of
/// storing it. Evaluation (<see cref="Off"/>) applies none; a training step passes a new seed every step.
/// </summary>
/// <param name="Enabled">True in training mode.</param>
/// <param name="Seed">The step's seed.</param>
public readonly record struct DropoutSettings(bool Enabled, ulong Seed)
{
    /// <summary>Evaluation mode: no dropout anywhere.</summary>
    public static DropoutSettings Off => default;

    /// <summary>Training mode with the given seed.</summary>
    public static DropoutSettings Training(ulong seed) => new(true, seed);
}
