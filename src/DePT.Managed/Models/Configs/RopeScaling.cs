namespace DePT.Models;

/// <summary>
/// Rotary embedding parameters of a decoder-only config: the base θ (<c>rope_theta</c>) and the frequency scaling.
/// <see cref="Factor"/> is used by linear and Llama-3 scaling; the other three by Llama-3 only.
/// </summary>
/// <param name="Theta"><c>rope_theta</c>: the base of the frequencies.</param>
/// <param name="Kind">The scaling rule.</param>
/// <param name="Factor"><c>factor</c>: how much longer the context is than the one trained on.</param>
/// <param name="LowFrequencyFactor"><c>low_freq_factor</c> (Llama 3).</param>
/// <param name="HighFrequencyFactor"><c>high_freq_factor</c> (Llama 3).</param>
/// <param name="OriginalMaxPositions"><c>original_max_position_embeddings</c> (Llama 3).</param>
public sealed record RopeScaling(double Theta, RopeScalingKind Kind = RopeScalingKind.None, double Factor = 1,
    double LowFrequencyFactor = 1, double HighFrequencyFactor = 4, int OriginalMaxPositions = 8192)
{
    /// <summary>
    /// The dh/2 inverse frequencies as transformers computes them (in float32): 1/θ^(2j/dh), then the scaling rule.
    /// Rotary pair (j, j + dh/2) of position p turns by p·inv_freq[j].
    /// </summary>
    public float[] InverseFrequencies(int headDim)
    {
        if (headDim < 2 || headDim % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(headDim), headDim, "The rotary head width must be even and at least 2.");
        var result = new float[headDim / 2];
        for (int j = 0; j < result.Length; j++)
        {
            // transformers: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), all in float32
            float exponent = (float)(2 * j) / headDim;
            float inverse = 1f / MathF.Pow((float)Theta, exponent);
            result[j] = Kind switch
            {
                RopeScalingKind.Linear => inverse / (float)Factor,
                RopeScalingKind.Llama3 => Llama3(inverse),
                _ => inverse,
            };
        }
        return result;
    }

    /// <summary>transformers' <c>_compute_llama3_parameters</c> for one frequency.</summary>
    private float Llama3(float inverse)
    {
        double lowWavelength = OriginalMaxPositions / LowFrequencyFactor;
        double highWavelength = OriginalMaxPositions / HighFrequencyFactor;
        double wavelength = 2 * Math.PI / inverse;
        if (wavelength < highWavelength) return inverse;
        if (wavelength > lowWavelength) return (float)(inverse / Factor);
        double smooth = (OriginalMaxPositions / wavelength - LowFrequencyFactor) / (HighFrequencyFactor - LowFrequencyFactor);
        return (float)((1 - smooth) * inverse / Factor + smooth * inverse);
    }
}
