namespace DePT.Models;

/// <summary>How rotary frequencies are rescaled (<c>rope_type</c> of <c>rope_parameters</c> or <c>rope_scaling</c>).</summary>
public enum RopeScalingKind
{
    /// <summary><c>default</c> (or no scaling): inv_freq[j] = θ^(−2j/dh).</summary>
    None,

    /// <summary><c>linear</c>: every frequency divided by <see cref="RopeScaling.Factor"/> (positions interpolated).</summary>
    Linear,

    /// <summary><c>llama3</c>: long wavelengths divided by the factor, short ones kept, the band between smoothly interpolated.</summary>
    Llama3,
}
