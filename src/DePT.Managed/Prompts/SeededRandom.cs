namespace DePT.Prompts;

/// <summary>
/// SplitMix64 over (seed, counter): the same numbers on every platform and .NET version, unlike
/// <see cref="Random"/>, so a prompt initialised from a seed is reproducible from the seed alone.
/// </summary>
internal struct SeededRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 24 random bits, exact in float.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [low, high).</summary>
    public float NextSingle(float low, float high) => low + (high - low) * NextSingle();

    /// <summary>Uniform integer in [0, exclusiveMax) (the modulo bias is below 2⁻³² for any int range).</summary>
    public int NextInt32(int exclusiveMax) => (int)(NextUInt64() % (ulong)exclusiveMax);
}
