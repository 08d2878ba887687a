using DePT.Backends;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.T5;

/// <summary>
/// Batched greedy decoding with caches: per decoder block, the self-attention keys and values (B, maxNewTokens, inner)
/// grow by one row a step (<see cref="IBackend.WriteRows"/>), and the cross-attention keys and values over the encoder
/// output are projected once. Step t feeds one token per row and attends over cache rows 0..t with the causal bias of
/// query position t.
/// </summary>
internal sealed class T5Generator(T5Model model)
{
    private IBackend Backend => model.Backend;

    private T5Config Config => model.Config;

    public int[,] Run(Tensor encoderOutput, Tensor encoderMask, int maxNewTokens)
    {
        int batch = encoderOutput.Dim(0), encoderLength = encoderOutput.Dim(1);
        int d = Config.ModelDim, inner = Config.NumHeads * Config.HeadDim;
        var stack = model.Weights.Decoder;
        var dtype = model.DType;
        float epsilon = (float)Config.LayerNormEpsilon;
        using var caches = new OwnedTensors();
        var selfKeys = new Tensor[stack.Blocks.Length];
        var selfValues = new Tensor[stack.Blocks.Length];
        var crossKeys = new Tensor[stack.Blocks.Length];
        var crossValues = new Tensor[stack.Blocks.Length];
        for (int layer = 0; layer < stack.Blocks.Length; layer++)
        {
            var cross = stack.Blocks[layer].CrossAttention!;
            selfKeys[layer] = caches.Add(Backend.Allocate(dtype, batch, maxNewTokens, inner));
            selfValues[layer] = caches.Add(Backend.Allocate(dtype, batch, maxNewTokens, inner));
            crossKeys[layer] = caches.Add(Backend.Allocate(dtype, batch, encoderLength, inner));
            crossValues[layer] = caches.Add(Backend.Allocate(dtype, batch, encoderLength, inner));
            Backend.Linear(crossKeys[layer], encoderOutput, cross.Key.Weight, null);
            Backend.Linear(crossValues[layer], encoderOutput, cross.Value.Weight, null);
        }

        var tokens = new List<int[]> { Enumerable.Repeat(Config.DecoderStartTokenId, batch).ToArray() };
        var finished = new bool[batch];
        using var tokenIds = Backend.Allocate(DType.I32, batch, 1);
        using var h = Backend.Allocate(dtype, batch, 1, d);
        using var normed = Backend.Allocate(dtype, batch, 1, d);
        using var rstd = Backend.Allocate(DType.F32, batch);
        using var query = Backend.Allocate(dtype, batch, 1, inner);
        using var key = Backend.Allocate(dtype, batch, 1, inner);
        using var value = Backend.Allocate(dtype, batch, 1, inner);
        using var next = Backend.Allocate(DType.I32, batch);
        var noDropout = new DropoutSites(Backend, 0, DropoutSettings.Off);
        // causal buckets of j − (i + step) for the one new query, evaluated by the attention op from the table
        var positionBias = PositionBias.Relative(stack.RelativeAttentionBias, bidirectional: false, Config.RelativeAttentionMaxDistance);
        for (int step = 0; step < maxNewTokens; step++)
        {
            tokenIds.CopyFrom(tokens[^1]);
            Backend.EmbeddingLookup(h, tokenIds, model.Weights.Shared, 1f);
            var selfOptions = new AttentionOptions(Config.NumHeads, 1f, Causal: true, KeyLength: step + 1, QueryOffset: step);
            var crossOptions = new AttentionOptions(Config.NumHeads, 1f);
            for (int layer = 0; layer < stack.Blocks.Length; layer++)
            {
                var block = stack.Blocks[layer];
                Backend.RmsNorm(normed, rstd, h, block.SelfAttentionNorm.Weight, epsilon);
                Backend.Linear(query, normed, block.SelfAttention.Query.Weight, null);
                Backend.Linear(key, normed, block.SelfAttention.Key.Weight, null);
                Backend.Linear(value, normed, block.SelfAttention.Value.Weight, null);
                Backend.WriteRows(selfKeys[layer], key, step);
                Backend.WriteRows(selfValues[layer], value, step);
                AddAttention(h, block.SelfAttention, query, selfKeys[layer], selfValues[layer], null, positionBias, selfOptions);

                Backend.RmsNorm(normed, rstd, h, block.CrossAttentionNorm!.Weight, epsilon);
                Backend.Linear(query, normed, block.CrossAttention!.Query.Weight, null);
                AddAttention(h, block.CrossAttention, query, crossKeys[layer], crossValues[layer], encoderMask, null, crossOptions);

                Backend.RmsNorm(normed, rstd, h, block.FeedForwardNorm.Weight, epsilon);
                using var feedForward = FeedForwardBlock.Forward(Backend, block.FeedForward, normed, noDropout, 0, save: false, out _);
                Backend.Add(h, h, feedForward);
            }
            Backend.RmsNorm(normed, rstd, h, stack.FinalNorm.Weight, epsilon);
            using (var logits = model.LmHead(normed, batch))
            {
                Backend.ArgMax(next, logits);
            }

            int[] chosen = next.ToInt32Array();
            bool allFinished = true;
            for (int b = 0; b < batch; b++)
            {
                if (finished[b]) chosen[b] = Config.PadTokenId;
                else if (chosen[b] == Config.EosTokenId) finished[b] = true;
                allFinished &= finished[b];
            }
            tokens.Add(chosen);
            if (allFinished) break;
        }

        var result = new int[batch, tokens.Count];
        for (int t = 0; t < tokens.Count; t++)
            for (int b = 0; b < batch; b++)
                result[b, t] = tokens[t][b];
        return result;
    }

    /// <summary>h += Wo·Attention(query, key, value).</summary>
    private void AddAttention(Tensor h, AttentionWeights weights, Tensor query, Tensor key, Tensor value, Tensor? keyMask, PositionBias? positionBias, AttentionOptions options)
    {
        using var output = AttentionBlock.Project(Backend, weights, query, key, value, keyMask, positionBias, options, out var state);
        state.Dispose();
        Backend.Add(h, h, output);
    }
}
