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

    /// <summary>
    /// Training mode for optimiser step <paramref name="step"/> of a run seeded <paramref name="runSeed"/>: SplitMix64's
    /// finaliser over (seed, step) gives distinct, well-mixed seeds per step, so a resumed run draws the same masks.
    /// </summary>
    public static DropoutSettings ForStep(ulong runSeed, int step)
    {
        ulong z = runSeed + 0x9E3779B97F4A7C15UL * (ulong)(step + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return Training(z ^ (z >> 31));
    }
}
