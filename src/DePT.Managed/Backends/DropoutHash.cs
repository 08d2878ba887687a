namespace DePT.Backends;

/// <summary>
/// The dropout mask of every backend, a pure function of (seed, stream, element index) in 64-bit integer
/// arithmetic so that the CUDA kernel reproduces the CPU mask bit for bit. All operations wrap modulo 2⁶⁴:
/// <code>
/// mix(z)  = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31
/// key     = mix(mix(seed) ^ stream)
/// bits    = mix(key + 0x9E3779B97F4A7C15 · (index + 1))        (the SplitMix64 sequence started at key)
/// u       = (bits >> 40) · 2⁻²⁴                                 (24 bits: exact in float, in [0, 1))
/// keep    = u ≥ rate                                            (float compare; exact, both sides are floats)
/// </code>
/// Equivalently keep ⇔ (bits >> 40) ≥ ceil(rate · 2²⁴). Kept elements are scaled by 1 / (1 − rate)
/// computed in float with IEEE division (CUDA: __fdiv_rn, not a fast-math reciprocal).
/// </summary>
internal static class DropoutHash
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>True when element <paramref name="index"/> survives dropout at <paramref name="rate"/> for this (seed, stream).</summary>
    public static bool Keep(ulong seed, ulong stream, long index, float rate) => Uniform(Key(seed, stream), index) >= rate;

    /// <summary>The per-call key; hoist it out of element loops and use <see cref="Uniform"/>.</summary>
    public static ulong Key(ulong seed, ulong stream) => Mix(Mix(seed) ^ stream);

    /// <summary>The uniform in [0, 1) of element <paramref name="index"/> under <paramref name="key"/>.</summary>
    public static float Uniform(ulong key, long index)
    {
        ulong bits = Mix(unchecked(key + Golden * (ulong)(index + 1)));
        return (bits >> 40) * (1f / 16777216f);
    }

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
