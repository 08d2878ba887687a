using DePT.Backends;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.Llama;

/// <summary>
/// The LLaMA decoder stack, forward and backward, written against <see cref="IBackend"/> only. Each layer is two
/// pre-norm residual sub-layers h ← h + f(RMSNorm(h)): causal grouped-query self-attention with rotary queries and
/// keys (scores scaled by 1/√dh), then the SwiGLU block down(silu(gate) ⊙ up); a final RMS norm follows the layers.
/// No dropout: the family's configs train without it.
/// </summary>
/// <remarks>
/// Saved for the backward, per layer, with N = B·T rows and e the activation dtype's bytes: twice the sub-layer input
/// and rstd (2·(N·d·e + 4N)), Q (N·H·dh·e), K and V (2·N·Hkv·dh·e), the probabilities (4·B·H·T²) and the SwiGLU
/// pre-activation (N·2F·e); plus the final norm's input and rstd.
/// </remarks>
internal sealed class LlamaDecoder(IBackend backend, LlamaWeights weights)
{
    private LlamaConfig Config => weights.Config;

    private float Epsilon => (float)Config.RmsNormEpsilon;

    private static DropoutSites NoDropout(IBackend backend) => new(backend, 0, DropoutSettings.Off);

    /// <summary>The attention of every layer over <paramref name="keyLength"/> live keys of which the queries start at <paramref name="queryOffset"/>.</summary>
    public AttentionOptions Attention(int keyLength = 0, int queryOffset = 0) =>
        new(Config.NumHeads, 1f / MathF.Sqrt(Config.HeadDim), Causal: true, KeyLength: keyLength, QueryOffset: queryOffset, KeyValueHeads: Config.NumKeyValueHeads);

    /// <summary>The final-norm output (B, T, d) for inputs_embeds (B, T, d); with <paramref name="saved"/>, keeps what the backward needs.</summary>
    public Tensor Forward(Tensor inputsEmbeds, Tensor mask, Tensor positions, PreNormStackSaved? saved)
    {
        var rotary = new RotaryPositions(positions, weights.InverseFrequencies);
        var h = backend.Allocate(inputsEmbeds.DType, inputsEmbeds.Shape.ToArray());
        try
        {
            backend.Copy(h, inputsEmbeds);
            foreach (var layer in weights.Layers)
            {
                h = Sublayer(h, layer.InputNorm, (normed, save) =>
                {
                    var output = AttentionBlock.Forward(backend, layer.Attention, normed, normed, mask, null, Attention(), save, out var attention, rotary);
                    return (output, attention, null);
                }, saved);
                h = Sublayer(h, layer.PostAttentionNorm, (normed, save) =>
                {
                    var output = FeedForwardBlock.Forward(backend, layer.FeedForward, normed, NoDropout(backend), 0, save, out var preActivation);
                    return (output, null, preActivation);
                }, saved);
            }
            var final = backend.Allocate(h.DType, h.Shape.ToArray());
            var rstd = backend.Allocate(DType.F32, h.Dim(0) * h.Dim(1));
            backend.RmsNorm(final, rstd, h, weights.FinalNorm.Weight, Epsilon);
            if (saved is not null)
            {
                saved.FinalInput = h;
                saved.FinalRstd = rstd;
            }
            else
            {
                rstd.Dispose();
                h.Dispose();
            }
            return final;
        }
        catch
        {
            // h may also be referenced by saved; disposing a tensor twice is harmless.
            h.Dispose();
            throw;
        }
    }

    /// <summary>d inputs_embeds (B, T, d) from d final output (B, T, d), releasing each sub-layer's saved tensors once used.</summary>
    public Tensor Backward(Tensor dOutput, PreNormStackSaved saved, Tensor positions)
    {
        var rotary = new RotaryPositions(positions, weights.InverseFrequencies);
        var dH = backend.Allocate(dOutput.DType, dOutput.Shape.ToArray());
        try
        {
            backend.RmsNormBackward(dH, dOutput, saved.FinalInput!, weights.FinalNorm.Weight, saved.FinalRstd!);
            saved.FinalRstd!.Dispose();
            saved.FinalInput!.Dispose();
            using var dNormed = backend.Allocate(dOutput.DType, dOutput.Shape.ToArray());
            for (int index = saved.Sublayers.Count - 1; index >= 0; index--)
            {
                var s = saved.Sublayers[index]!;
                var layer = weights.Layers[index / 2];
                if (s.Attention is { } attention)
                {
                    AttentionBlock.Backward(backend, layer.Attention, attention, dH, dNormed, accumulate: false, rotary: rotary);
                    backend.RmsNormBackward(dH, dNormed, s.Input!, layer.InputNorm.Weight, s.Rstd!, accumulate: true);
                }
                else
                {
                    FeedForwardBlock.Backward(backend, layer.FeedForward, s.FeedForward!, dH, dNormed, accumulate: false, NoDropout(backend), 0);
                    backend.RmsNormBackward(dH, dNormed, s.Input!, layer.PostAttentionNorm.Weight, s.Rstd!, accumulate: true);
                }
                s.Dispose();
                saved.Sublayers[index] = null;
            }
            return dH;
        }
        catch
        {
            dH.Dispose();
            throw;
        }
    }

    /// <summary>
    /// h + f(RMSNorm(h)). Without saving, h is updated in place and returned; with saving, h and rstd are kept and the
    /// sum is a new tensor.
    /// </summary>
    private Tensor Sublayer(Tensor h, NormWeights norm, Func<Tensor, bool, (Tensor Output, AttentionSaved? Attention, Tensor? PreActivation)> branch, PreNormStackSaved? saved)
    {
        var rstd = backend.Allocate(DType.F32, h.Dim(0) * h.Dim(1));
        Tensor output;
        AttentionSaved? attention;
        Tensor? preActivation;
        try
        {
            using var normed = backend.Allocate(h.DType, h.Shape.ToArray());
            backend.RmsNorm(normed, rstd, h, norm.Weight, Epsilon);
            (output, attention, preActivation) = branch(normed, saved is not null);
        }
        catch
        {
            rstd.Dispose();
            throw;
        }
        if (saved is null)
        {
            backend.Add(h, h, output);
            output.Dispose();
            rstd.Dispose();
            return h;
        }
        backend.Add(output, h, output);
        saved.Sublayers.Add(new PreNormSublayerSaved(h, rstd, attention, preActivation));
        return output;
    }
}
