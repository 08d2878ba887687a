using DePT.Backends;
using DePT.Numerics;
using DePT.Tensors;

namespace DePT.Diagnostics;

/// <summary>
/// Sizes of one DePT input problem (B, L, m, d, r, s, V, P) and fresh random data for it: used by the
/// kernel tests, <c>dept doctor</c> and the benchmarks so all three exercise the same thing.
/// </summary>
public sealed record PromptInputProblem(int Batch, int SeqLen, int PromptLen, int Dim, int Rank, int MaxLen, int Vocab, int NumPrompts = 1)
{
    /// <summary>The shape the foundation issue measures bandwidth on: B=32, L=256, m=60, r=30, d=4096.</summary>
    public static PromptInputProblem Bandwidth { get; } = new(32, 256, 60, 4096, 30, 256, 32128);

    /// <summary>m + L.</summary>
    public int TotalLen => PromptLen + SeqLen;

    /// <summary>alpha / sqrt(r) with the default alpha = 8 (0 for vanilla prompt tuning).</summary>
    public float LowRankScale => Rank == 0 ? 0f : 8f / MathF.Sqrt(Rank);

    /// <summary>Bytes the forward must move at least: ids, gathered embedding rows, the output, and P, A, B once.</summary>
    public long ForwardBytes(DType output, DType embeddings) =>
        4L * Batch * SeqLen
        + (long)Batch * SeqLen * Dim * embeddings.SizeInBytes()
        + (long)Batch * TotalLen * Dim * output.SizeInBytes()
        + 4L * NumPrompts * (PromptLen * Dim + MaxLen * Rank + Rank * Dim);

    /// <inheritdoc />
    public override string ToString() =>
        $"B={Batch} L={SeqLen} m={PromptLen} d={Dim} r={Rank} s={MaxLen} V={Vocab}" + (NumPrompts > 1 ? $" P={NumPrompts}" : "");

    /// <summary>Draws fresh data: values uniform in [−1, 1), ids uniform in the vocabulary, prompts spread over the batch.</summary>
    public PromptInputData Generate(int seed, DType embeddingType = DType.F32)
    {
        var rng = new Random(seed);
        var data = new PromptInputData(this)
        {
            TokenIds = Fill(new int[Batch * SeqLen], () => rng.Next(Vocab)),
            Embeddings = Uniform(rng, (long)Vocab * Dim),
            Prompt = Uniform(rng, (long)NumPrompts * PromptLen * Dim),
            LowRankA = Rank > 0 ? Uniform(rng, (long)NumPrompts * MaxLen * Rank) : null,
            LowRankB = Rank > 0 ? Uniform(rng, (long)NumPrompts * Rank * Dim) : null,
            PromptIndex = NumPrompts > 1 ? Fill(new int[Batch], () => rng.Next(NumPrompts)) : null,
            DInput = Uniform(rng, (long)Batch * TotalLen * Dim),
        };
        if (embeddingType == DType.BF16) RoundToBFloat16(data.Embeddings);
        return data;
    }

    private static float[] Uniform(Random rng, long count)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = rng.NextSingle() * 2f - 1f;
        return values;
    }

    private static int[] Fill(int[] values, Func<int> next)
    {
        for (int i = 0; i < values.Length; i++) values[i] = next();
        return values;
    }

    /// <summary>Rounds in place so an fp32 reference sees exactly the values a bf16 tensor holds.</summary>
    internal static void RoundToBFloat16(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = BFloat16.ToSingle(BFloat16.FromSingle(values[i]));
    }
}
