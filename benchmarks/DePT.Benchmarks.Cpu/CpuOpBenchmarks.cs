using BenchmarkDotNet.Attributes;
using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Tensors;

namespace DePT.Benchmarks.Cpu;

/// <summary>
/// The CPU (fp32 reference) backend at all-MiniLM-L6-v2 sizes: d 384, 12 heads of 32, feed-forward 1536, a batch of 16
/// sequences of 128 tokens (2048 rows), and the DePT input with m 60, r 30 over its 30522-row vocabulary.
/// </summary>
[MemoryDiagnoser]
public class CpuOpBenchmarks
{
    private const int Batch = 16, Length = 128, Rows = Batch * Length, Dim = 384, Heads = 12, FeedForward = 1536, Vocab = 30522;
    private const int PromptLength = 60, Rank = 30, MaxLength = 256;

    private readonly CpuBackend _cpu = new();
    private readonly List<Tensor> _tensors = [];
    private Tensor _input = null!, _weight = null!, _linearOut = null!;
    private Tensor _normWeight = null!, _normBias = null!, _normOut = null!, _mean = null!, _rstd = null!;
    private Tensor _query = null!, _key = null!, _value = null!, _mask = null!, _attentionOut = null!;
    private Tensor _ids = null!, _embeddings = null!, _promptOut = null!;
    private PromptParameters _prompt;

    [GlobalSetup]
    public void Setup()
    {
        int seed = 1;
        Tensor Random(params int[] shape)
        {
            var t = Own(_cpu.Allocate(DType.F32, shape));
            t.CopyFrom(BenchmarkText.Floats(checked((int)t.Length), seed++));
            return t;
        }

        _input = Random(Rows, Dim);
        _weight = Random(FeedForward, Dim);
        _linearOut = Own(_cpu.Allocate(DType.F32, Rows, FeedForward));

        _normWeight = Random(Dim);
        _normBias = Random(Dim);
        _normOut = Own(_cpu.Allocate(DType.F32, Rows, Dim));
        _mean = Own(_cpu.Allocate(DType.F32, Rows));
        _rstd = Own(_cpu.Allocate(DType.F32, Rows));

        _query = Random(Batch, Length, Dim);
        _key = Random(Batch, Length, Dim);
        _value = Random(Batch, Length, Dim);
        _mask = Own(_cpu.Allocate(DType.I32, Batch, Length));
        var random = new Random(7);
        var mask = new int[Rows];
        for (int b = 0; b < Batch; b++)
        {
            int real = random.Next(Length / 2, Length + 1);
            for (int t = 0; t < real; t++) mask[b * Length + t] = 1;
        }
        _mask.CopyFrom(mask);
        _attentionOut = Own(_cpu.Allocate(DType.F32, Batch, Length, Dim));

        _ids = Own(_cpu.Allocate(DType.I32, Batch, Length));
        _ids.CopyFrom(Enumerable.Range(0, Rows).Select(_ => random.Next(Vocab)).ToArray());
        _embeddings = Random(Vocab, Dim);
        _prompt = PromptParameters.Decomposed(Random(1, PromptLength, Dim), Random(1, MaxLength, Rank), Random(1, Rank, Dim), 8f / MathF.Sqrt(Rank));
        _promptOut = Own(_cpu.Allocate(DType.F32, Batch, PromptLength + Length, Dim));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in _tensors) t.Dispose();
        _tensors.Clear();
    }

    /// <summary>(2048 × 384) · (1536 × 384)ᵀ: MiniLM's feed-forward input projection, 2.4 GFLOP.</summary>
    [Benchmark]
    public void Linear2048x384To1536() => _cpu.Linear(_linearOut, _input, _weight, null);

    [Benchmark]
    public void LayerNorm2048x384() => _cpu.LayerNorm(_normOut, _mean, _rstd, _input, _normWeight, _normBias, 1e-12f);

    /// <summary>Self-attention over 16 × 128 tokens, 12 heads of 32, with a key mask; the saved probabilities are released.</summary>
    [Benchmark]
    public void AttentionMiniLm()
    {
        using var state = _cpu.Attention(_attentionOut, _query, _key, _value, _mask, null, new AttentionOptions(Heads, 1f / MathF.Sqrt(Dim / Heads)));
    }

    /// <summary>The DePT input: 60 prompt rows, then Emb[ids] + scale·A[:128]·B for 16 × 128 tokens.</summary>
    [Benchmark]
    public void PromptInputForward() => _cpu.PromptInputForward(_promptOut, _ids, _embeddings, _prompt, null, 1f);

    private Tensor Own(Tensor tensor)
    {
        _tensors.Add(tensor);
        return tensor;
    }
}
