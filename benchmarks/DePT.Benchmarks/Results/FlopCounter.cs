using DePT.Benchmarks.Plan;

namespace DePT.Benchmarks.Results;

/// <summary>
/// Counted FLOPs of one T5 training step, the formula in benchmarks/README.md ("Result schema"), written once:
/// a linear layer costs 2·rows·in·out forward and the same again backward (to its input only: the weights are frozen);
/// attention 2·2·B·H·Tq·Tk·dh forward (scores and context) and twice that backward (dQ, dK, dV); the LM head
/// 2·B·T_dec·d·V forward and the same backward. Every layer counts the same (no special case for decoder block 0);
/// norms, softmax, elementwise ops, the prompt input and the optimiser are not counted. A LLaMA step
/// (<see cref="LlamaTrainingStep"/>) counts the same way over its one sequence of prompt + source + target rows.
/// </summary>
internal static class FlopCounter
{
    /// <summary>FLOPs of one forward + backward with an encoder of <paramref name="encoderLength"/> rows (prompt included).</summary>
    public static double TrainingStep(ModelShape model, int batch, int encoderLength, int targetLength)
    {
        var (linear, attention, head) = Forward(model, batch, encoderLength, targetLength);
        return 2 * linear + 3 * attention + 2 * head;
    }

    /// <summary>The forward's FLOPs split into linear layers, attention, and the LM head.</summary>
    public static (double Linear, double Attention, double Head) Forward(ModelShape model, int batch, int encoderLength, int targetLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(encoderLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetLength);
        double d = model.ModelDim, inner = model.InnerDim, ff = model.FeedForwardDim, wi = model.IsGated ? 2 * ff : ff;
        double encoderRows = (double)batch * encoderLength, decoderRows = (double)batch * targetLength;

        // q, k, v, o; then wi (d → d_ff, or 2·d_ff gated) and wo (d_ff → d)
        double encoderLayer = 4 * Linear(encoderRows, d, inner) + Linear(encoderRows, d, wi) + Linear(encoderRows, ff, d);
        // self-attention q, k, v, o and cross-attention q, o on decoder rows; cross-attention k, v on the encoder output
        double decoderLayer = 6 * Linear(decoderRows, d, inner) + 2 * Linear(encoderRows, d, inner)
                              + Linear(decoderRows, d, wi) + Linear(decoderRows, ff, d);
        double linear = model.EncoderLayers * encoderLayer + model.DecoderLayers * decoderLayer;

        double encoderAttention = Attention(batch, model.Heads, encoderLength, encoderLength, model.HeadDim);
        double decoderAttention = Attention(batch, model.Heads, targetLength, targetLength, model.HeadDim)
                                  + Attention(batch, model.Heads, targetLength, encoderLength, model.HeadDim);
        double attention = model.EncoderLayers * encoderAttention + model.DecoderLayers * decoderAttention;

        return (linear, attention, Linear(decoderRows, d, model.VocabSize));
    }

    /// <summary>Mean FLOPs of training steps over batches whose token lengths (before the prompt) are <paramref name="inputLengths"/>.</summary>
    public static double MeanTrainingStep(ModelShape model, int batch, int promptLength, IReadOnlyList<int> inputLengths, int targetLength)
    {
        ArgumentNullException.ThrowIfNull(inputLengths);
        if (inputLengths.Count == 0) throw new ArgumentException("No batch lengths to average over.", nameof(inputLengths));
        return inputLengths.Average(length => TrainingStep(model, batch, promptLength + length, targetLength));
    }

    /// <summary>
    /// FLOPs of one causal-LM forward + backward over <paramref name="length"/> rows per example: per layer q, o (d × H·dh),
    /// k, v (d × Hkv·dh), gate and up (d × F), down (F × d); full T × T attention scores (the unfused kernels compute them
    /// all); the LM head on the <paramref name="scoredRows"/> rows per example that the loss scores (the useful work:
    /// transformers runs it on every row, we on these only). The same formula as peft_baseline.py's llama_training_step_flops.
    /// </summary>
    public static double LlamaTrainingStep(LlamaShape model, int batch, int length, int scoredRows)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfNegative(scoredRows);
        double rows = (double)batch * length, d = model.ModelDim, inner = (double)model.Heads * model.HeadDim, kv = (double)model.KeyValueHeads * model.HeadDim;
        double layer = 2 * Linear(rows, d, inner) + 2 * Linear(rows, d, kv) + 2 * Linear(rows, d, model.FeedForwardDim) + Linear(rows, model.FeedForwardDim, d);
        double linear = model.Layers * layer + Linear((double)batch * scoredRows, d, model.VocabSize);
        double attention = model.Layers * Attention(batch, model.Heads, length, length, model.HeadDim);
        return 2 * linear + 3 * attention;
    }

    private static double Linear(double rows, double inFeatures, double outFeatures) => 2 * rows * inFeatures * outFeatures;

    private static double Attention(int batch, int heads, int queries, int keys, int headDim) => 2.0 * 2 * batch * heads * queries * keys * headDim;
}
