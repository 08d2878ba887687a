using DePT.Backends;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Models.Llama;

/// <summary>
/// Batched decoding with a KV cache: per layer, the rotated keys and the values (B, T + maxNewTokens, Hkv·dh) are filled
/// by one prefill pass over the T input rows, then grow by one row a step (<see cref="IBackend.WriteRows"/>); a step feeds
/// one token per row at the position after its example's last and attends over the live cache rows, with the batch's
/// mask over the input rows (left padding stays hidden) and every generated row visible.
/// </summary>
internal sealed class LlamaGenerator(LlamaModel model, LlamaDecoder decoder)
{
    private IBackend Backend => model.Backend;

    private LlamaConfig Config => model.Config;

    public int[,] Run(Tensor inputsEmbeds, CausalLmBatch batch, GenerationOptions options)
    {
        int size = batch.Batch, inputLength = batch.Length, capacity = inputLength + options.MaxNewTokens;
        var stop = new HashSet<int>(options.StopTokenIds ?? Config.EosTokenIds);
        int pad = options.PadTokenId ?? (Config.PadTokenId >= 0 ? Config.PadTokenId : Config.EosTokenIds.FirstOrDefault(0));
        var random = new Random(options.Seed);
        var dtype = model.DType;

        using var caches = new OwnedTensors();
        var keys = new Tensor[Config.NumLayers];
        var values = new Tensor[Config.NumLayers];
        for (int layer = 0; layer < keys.Length; layer++)
        {
            keys[layer] = caches.Add(Backend.Allocate(dtype, size, capacity, Config.KeyValueWidth));
            values[layer] = caches.Add(Backend.Allocate(dtype, size, capacity, Config.KeyValueWidth));
        }
        var cacheMask = new int[size * capacity];
        var nextPosition = new int[size];
        for (int b = 0; b < size; b++)
        {
            batch.HostMask.AsSpan(b * inputLength, inputLength).CopyTo(cacheMask.AsSpan(b * capacity));
            nextPosition[b] = batch.HostMask.AsSpan(b * inputLength, inputLength).Count(1);
        }
        using var maskTensor = Backend.Allocate(DType.I32, size, capacity);
        maskTensor.CopyFrom(cacheMask);

        int[] chosen;
        using (var h = Backend.Allocate(dtype, inputsEmbeds.Shape.ToArray()))
        {
            Backend.Copy(h, inputsEmbeds);
            using var final = Layers(h, batch.Positions, 0, keys, values, maskTensor);
            using var last = Backend.Allocate(dtype, size, 1, Config.HiddenSize);
            Backend.ReadRows(last, final, inputLength - 1);
            chosen = Choose(last, options, random);
        }

        var tokens = new List<int[]>();
        var finished = new bool[size];
        using var tokenIds = Backend.Allocate(DType.I32, size, 1);
        using var positions = Backend.Allocate(DType.I32, size, 1);
        using var step = Backend.Allocate(dtype, size, 1, Config.HiddenSize);
        for (int t = 0; ; t++)
        {
            bool allFinished = true;
            for (int b = 0; b < size; b++)
            {
                if (finished[b]) chosen[b] = pad;
                else if (stop.Contains(chosen[b])) finished[b] = true;
                allFinished &= finished[b];
            }
            tokens.Add(chosen);
            if (allFinished || t + 1 == options.MaxNewTokens) break;

            int row = inputLength + t;
            for (int b = 0; b < size; b++) cacheMask[b * capacity + row] = 1;
            maskTensor.CopyFrom(cacheMask);
            positions.CopyFrom(nextPosition);
            for (int b = 0; b < size; b++) nextPosition[b]++;
            tokenIds.CopyFrom(chosen);
            Backend.EmbeddingLookup(step, tokenIds, model.Embeddings, 1f);
            using var final = Layers(step, positions, row, keys, values, maskTensor);
            chosen = Choose(final, options, random);
        }

        var result = new int[size, tokens.Count];
        for (int t = 0; t < tokens.Count; t++)
            for (int b = 0; b < size; b++)
                result[b, t] = tokens[t][b];
        return result;
    }

    /// <summary>
    /// The decoder over new rows h (B, Tn, d) at cache rows start.., their keys and values written into the caches;
    /// updates h in place and returns the final-norm output (B, Tn, d).
    /// </summary>
    private Tensor Layers(Tensor h, Tensor positions, int start, Tensor[] keys, Tensor[] values, Tensor cacheMask)
    {
        int size = h.Dim(0), rows = h.Dim(1);
        var dtype = h.DType;
        float epsilon = (float)Config.RmsNormEpsilon;
        var options = decoder.Attention(keyLength: start + rows, queryOffset: start);
        var noDropout = new DropoutSites(Backend, 0, DropoutSettings.Off);
        var inverseFrequencies = model.Weights.InverseFrequencies;
        using var normed = Backend.Allocate(dtype, size, rows, Config.HiddenSize);
        using var rstd = Backend.Allocate(DType.F32, size * rows);
        using var query = Backend.Allocate(dtype, size, rows, Config.QueryWidth);
        using var key = Backend.Allocate(dtype, size, rows, Config.KeyValueWidth);
        using var value = Backend.Allocate(dtype, size, rows, Config.KeyValueWidth);
        for (int layer = 0; layer < Config.NumLayers; layer++)
        {
            var w = model.Weights.Layers[layer];
            Backend.RmsNorm(normed, rstd, h, w.InputNorm.Weight, epsilon);
            Backend.Linear(query, normed, w.Attention.Query.Weight, w.Attention.Query.Bias);
            Backend.Linear(key, normed, w.Attention.Key.Weight, w.Attention.Key.Bias);
            Backend.Linear(value, normed, w.Attention.Value.Weight, w.Attention.Value.Bias);
            Backend.RotaryEmbedding(query, query, positions, inverseFrequencies, Config.NumHeads);
            Backend.RotaryEmbedding(key, key, positions, inverseFrequencies, Config.NumKeyValueHeads);
            Backend.WriteRows(keys[layer], key, start);
            Backend.WriteRows(values[layer], value, start);
            using (var attended = AttentionBlock.Project(Backend, w.Attention, query, keys[layer], values[layer], cacheMask, null, options, out var state))
            {
                state.Dispose();
                Backend.Add(h, h, attended);
            }
            Backend.RmsNorm(normed, rstd, h, w.PostAttentionNorm.Weight, epsilon);
            using var feedForward = FeedForwardBlock.Forward(Backend, w.FeedForward, normed, noDropout, 0, save: false, out _);
            Backend.Add(h, h, feedForward);
        }
        var final = Backend.Allocate(dtype, size, rows, Config.HiddenSize);
        Backend.RmsNorm(final, rstd, h, model.Weights.FinalNorm.Weight, epsilon);
        return final;
    }

    /// <summary>The next token of every row from its final-norm output (B, 1, d).</summary>
    private int[] Choose(Tensor final, GenerationOptions options, Random random)
    {
        int size = final.Dim(0);
        using var logits = model.LmHead(final, size);
        if (options.Temperature == 0)
        {
            using var next = Backend.Allocate(DType.I32, size);
            Backend.ArgMax(next, logits);
            return next.ToInt32Array();
        }
        var values = logits.ToFloatArray();
        int vocab = Config.VocabSize;
        var chosen = new int[size];
        for (int b = 0; b < size; b++)
            chosen[b] = TokenSampler.Sample(values.AsSpan(b * vocab, vocab), options.Temperature, options.TopP, random);
        return chosen;
    }
}
