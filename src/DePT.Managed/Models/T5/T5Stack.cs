using DePT.Backends;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.T5;

/// <summary>
/// The T5 encoder or decoder stack, forward and backward, written against <see cref="IBackend"/> only.
/// Each block is pre-norm residual sub-layers h ← h + dropout(f(RMSNorm(h))) with f self-attention (bidirectional
/// relative bias in the encoder; causal bias and causal mask in the decoder; no 1/√d scaling), then (decoder)
/// cross-attention over the encoder output with the encoder's key mask and no bias, then the feed-forward block.
/// Every block adds block 0's relative bias, which the attention op evaluates from the table (no (H, T, T) tensor).
/// </summary>
/// <remarks>
/// Saved for the backward, per sub-layer, with N = B·T rows, inner = H·d_kv and e the activation dtype's bytes:
/// self-attention N·d·e (input) + 4N (rstd) + 3N·inner·e (Q, K, V) + the attention state (unfused: 4·B·H·T² probabilities;
/// fused: 4·B·H·T log-sum-exps and the N·inner·e output); cross-attention the same with K, V over the encoder length;
/// feed-forward N·d·e + 4N + N·F·e (the pre-activation; 2F when gated); plus the final norm's N·d·e + 4N. The norms'
/// outputs, the activation's output and the residual branches are not kept (the attention context only inside a fused
/// state): the frozen projections' backward needs only their weights. In the decoder, block 0's self-attention
/// keeps nothing and block 0's cross-attention keeps no norm input, since gradient there would only reach the decoder
/// token embeddings, which are not trained.
/// </remarks>
internal sealed class T5Stack(IBackend backend, T5Config config, T5StackWeights weights, bool isDecoder)
{
    private const int SelfSite = 0, CrossSite = 1, FeedForwardInnerSite = 2, FeedForwardSite = 3, EmbeddingSite = 0, FinalSite = 1;

    private enum Kind { SelfAttention, CrossAttention, FeedForward }

    private int Layers => weights.Blocks.Length;

    private int SublayersPerBlock => isDecoder ? 3 : 2;

    private float Epsilon => (float)config.LayerNormEpsilon;

    /// <summary>
    /// The stack's output (B, T, d) after its final norm and dropout. The decoder reads <paramref name="encoderOutput"/>
    /// (B, S, d) with <paramref name="encoderMask"/> (B, S). With <paramref name="saved"/>, keeps what the backward needs.
    /// </summary>
    public Tensor Forward(Tensor inputsEmbeds, Tensor? selfMask, Tensor? encoderOutput, Tensor? encoderMask, DType dtype, DropoutSites dropout, PreNormStackSaved? saved)
    {
        int batch = inputsEmbeds.Dim(0), length = inputsEmbeds.Dim(1), d = config.ModelDim;
        // every block's self-attention adds block 0's relative bias, evaluated by the attention op from the table
        var positionBias = PositionBias.Relative(weights.RelativeAttentionBias, bidirectional: !isDecoder, config.RelativeAttentionMaxDistance);
        Tensor? h = null;
        try
        {
            h = backend.Allocate(dtype, batch, length, d);
            backend.Copy(h, inputsEmbeds);
            dropout.Forward(h, Stream(Layers, EmbeddingSite));
            var context = new SublayerInputs(selfMask, positionBias, encoderOutput, encoderMask, dropout);
            for (int layer = 0; layer < Layers; layer++)
            {
                for (int j = 0; j < SublayersPerBlock; j++)
                {
                    var kind = KindOf(j);
                    // The decoder's first self-attention and its first cross-attention's query side lead only to the
                    // decoder embeddings, which are not trained.
                    bool firstDecoderBlock = isDecoder && layer == 0;
                    bool saveBranch = saved is not null && !(firstDecoderBlock && kind == Kind.SelfAttention);
                    bool saveInput = saveBranch && !(firstDecoderBlock && kind == Kind.CrossAttention);
                    h = Sublayer(h, layer, kind, context, saveBranch, saveInput, saved);
                }
            }

            var output = backend.Allocate(dtype, batch, length, d);
            var rstd = backend.Allocate(DType.F32, batch * length);
            backend.RmsNorm(output, rstd, h, weights.FinalNorm.Weight, Epsilon);
            dropout.Forward(output, Stream(Layers, FinalSite));
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
            return output;
        }
        catch
        {
            // h may also be referenced by saved; disposing a tensor twice is harmless.
            h?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Backward from dOutput (B, T, d), releasing each sub-layer's saved tensors once used. The encoder returns
    /// d inputs_embeds (B, T, d); the decoder returns null and writes d encoder output into
    /// <paramref name="dEncoderOutput"/> (assigned by its first cross-attention, then accumulated).
    /// </summary>
    public Tensor? Backward(Tensor dOutput, PreNormStackSaved saved, DropoutSites dropout, Tensor? dEncoderOutput)
    {
        var dtype = dOutput.DType;
        int[] shape = dOutput.Shape.ToArray();
        var dH = backend.Allocate(dtype, shape);
        try
        {
            var dFinal = dropout.Backward(dOutput, Stream(Layers, FinalSite), out var ownedFinal);
            using (ownedFinal)
                backend.RmsNormBackward(dH, dFinal, saved.FinalInput!, weights.FinalNorm.Weight, saved.FinalRstd!);
            saved.FinalRstd!.Dispose();
            saved.FinalInput!.Dispose();

            bool encoderGradientWritten = false;
            for (int index = saved.Sublayers.Count - 1; index >= 0; index--)
            {
                var s = saved.Sublayers[index];
                if (s is null) continue;
                int layer = index / SublayersPerBlock;
                var kind = KindOf(index % SublayersPerBlock);
                var block = weights.Blocks[layer];
                var dBranch = dropout.Backward(dH, Stream(layer, Site(kind)), out var ownedBranch);
                using (ownedBranch)
                using (var dNormed = s.Input is null ? null : backend.Allocate(dtype, shape))
                {
                    switch (kind)
                    {
                        case Kind.SelfAttention:
                            AttentionBlock.Backward(backend, block.SelfAttention, s.Attention!, dBranch, dNormed, accumulate: false);
                            break;
                        case Kind.CrossAttention:
                            AttentionBlock.Backward(backend, block.CrossAttention!, s.Attention!, dBranch, dNormed, accumulate: false,
                                dEncoderOutput ?? throw new ArgumentNullException(nameof(dEncoderOutput)), encoderGradientWritten);
                            encoderGradientWritten = true;
                            break;
                        default:
                            FeedForwardBlock.Backward(backend, block.FeedForward, s.FeedForward!, dBranch, dNormed!, accumulate: false, dropout, Stream(layer, FeedForwardInnerSite));
                            break;
                    }
                    if (dNormed is not null) backend.RmsNormBackward(dH, dNormed, s.Input!, NormOf(block, kind).Weight, s.Rstd!, accumulate: true);
                }
                s.Dispose();
                saved.Sublayers[index] = null;
            }

            if (isDecoder)
            {
                dH.Dispose();
                return null;
            }
            var dInputs = dropout.Backward(dH, Stream(Layers, EmbeddingSite), out var ownedInputs);
            if (ownedInputs is not null) dH.Dispose();
            return dInputs;
        }
        catch
        {
            dH.Dispose();
            throw;
        }
    }

    /// <summary>The dropout stream of a site; stack-level sites use layer = number of layers.</summary>
    internal ulong Stream(int layer, int site) => DropoutSites.Stream(isDecoder ? 1 : 0, layer, site);

    private Tensor Sublayer(Tensor h, int layer, Kind kind, SublayerInputs inputs, bool saveBranch, bool saveInput, PreNormStackSaved? saved)
    {
        var block = weights.Blocks[layer];
        int[] shape = h.Shape.ToArray();
        var rstd = backend.Allocate(DType.F32, shape[0] * shape[1]);
        Tensor branch;
        AttentionSaved? attention = null;
        Tensor? feedForward = null;
        try
        {
            using (var normed = backend.Allocate(h.DType, shape))
            {
                backend.RmsNorm(normed, rstd, h, NormOf(block, kind).Weight, Epsilon);
                branch = kind switch
                {
                    Kind.SelfAttention => AttentionBlock.Forward(backend, block.SelfAttention, normed, normed, inputs.SelfMask, inputs.PositionBias,
                        new AttentionOptions(config.NumHeads, 1f, Causal: isDecoder), saveBranch, out attention),
                    Kind.CrossAttention => AttentionBlock.Forward(backend, block.CrossAttention!, normed, inputs.EncoderOutput!, inputs.EncoderMask, null,
                        new AttentionOptions(config.NumHeads, 1f), saveBranch, out attention),
                    _ => FeedForwardBlock.Forward(backend, block.FeedForward, normed, inputs.Dropout, Stream(layer, FeedForwardInnerSite), saveBranch, out feedForward),
                };
            }
            inputs.Dropout.Forward(branch, Stream(layer, Site(kind)));
        }
        catch
        {
            rstd.Dispose();
            throw;
        }

        if (saved is null || !saveBranch)
        {
            backend.Add(h, h, branch);
            branch.Dispose();
            rstd.Dispose();
            saved?.Sublayers.Add(null);
            return h;
        }
        backend.Add(branch, h, branch);
        saved.Sublayers.Add(new PreNormSublayerSaved(saveInput ? h : null, saveInput ? rstd : null, attention, feedForward));
        if (!saveInput)
        {
            rstd.Dispose();
            h.Dispose();
        }
        return branch;
    }

    private Kind KindOf(int j) => j == 0 ? Kind.SelfAttention : isDecoder && j == 1 ? Kind.CrossAttention : Kind.FeedForward;

    private static int Site(Kind kind) => kind switch
    {
        Kind.SelfAttention => SelfSite,
        Kind.CrossAttention => CrossSite,
        _ => FeedForwardSite,
    };

    private static NormWeights NormOf(T5BlockWeights block, Kind kind) => kind switch
    {
        Kind.SelfAttention => block.SelfAttentionNorm,
        Kind.CrossAttention => block.CrossAttentionNorm!,
        _ => block.FeedForwardNorm,
    };

    private readonly record struct SublayerInputs(Tensor? SelfMask, PositionBias PositionBias, Tensor? EncoderOutput, Tensor? EncoderMask, DropoutSites Dropout);
}
