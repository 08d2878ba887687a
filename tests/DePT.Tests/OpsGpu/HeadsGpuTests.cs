using DePT.Backends;
using DePT.Tensors;
using static DePT.Tensors.DType;

namespace DePT.Tests.OpsGpu;

/// <summary>Cross-entropy (loss and in-place gradient), argmax and pooling against the CPU.</summary>
public class HeadsGpuTests : OpsGpuTest
{
    private const int IgnoreIndex = -100;

    public static IEnumerable<TestCaseData> VocabularyCases()
    {
        foreach (var (rows, vocab) in new[] { (1, 1), (5, 7), (16, 1000), (6, 32128) })
            foreach (var dtype in new[] { F32, BF16 })
                yield return new TestCaseData(rows, vocab, dtype).SetArgDisplayNames($"N={rows} V={vocab} {dtype}");
    }

    [TestCaseSource(nameof(VocabularyCases))]
    public void SoftmaxCrossEntropyMatchesCpu(int rows, int vocab, DType dtype)
    {
        var labels = new int[rows];
        for (int i = 0; i < rows; i++) labels[i] = i % 4 == 3 ? IgnoreIndex : Rng.Next(vocab);
        var labelPair = Ints(labels, rows);
        var logitValues = Uniform((long)rows * vocab, -8f, 8f);

        var logits = Input(logitValues, dtype, rows, vocab);
        var losses = Poisoned(F32, rows);
        Both((be, g) => be.SoftmaxCrossEntropy(losses.On(g), logits.On(g), labelPair.On(g), IgnoreIndex, null));
        AssertClose(losses, "losses", F32Bound);
        Assert.That(logits.Gpu.ToFloatArray(), Is.EqualTo(Rounded(logitValues, dtype)), "without a gradient scale the logits stay");

        var gradient = Input(logitValues, dtype, rows, vocab);
        var lossesWithGradient = Poisoned(F32, rows);
        float scale = 1f / rows;
        Both((be, g) => be.SoftmaxCrossEntropy(lossesWithGradient.On(g), gradient.On(g), labelPair.On(g), IgnoreIndex, scale));
        AssertClose(lossesWithGradient, "losses with the gradient", F32Bound);
        AssertClose(gradient, "(softmax − onehot)·scale in place of the logits");
    }

    [Test]
    public void LabelOutsideTheVocabularyIsRaisedAtSynchronize()
    {
        using var logits = Gpu.Allocate(F32, 3, 10);
        using var labels = Gpu.Allocate(I32, 3);
        using var losses = Gpu.Allocate(F32, 3);
        logits.CopyFrom(Values(30));
        labels.CopyFrom([2, 12, IgnoreIndex]);
        Gpu.SoftmaxCrossEntropy(losses, logits, labels, IgnoreIndex, 1f);
        var e = Assert.Throws<ArgumentOutOfRangeException>(Gpu.Synchronize);
        Assert.That(e!.Message, Does.Contain("12").And.Contain("[0, 10)"));
    }

    [TestCaseSource(nameof(VocabularyCases))]
    public void ArgMaxMatchesCpuWithTies(int rows, int vocab, DType dtype)
    {
        var values = Values((long)rows * vocab);
        for (int r = 0; r < rows && vocab > 2; r++)
        {
            // the row's maximum twice: the lower index must win
            int first = Rng.Next(vocab - 1), second = first + 1 + Rng.Next(vocab - first - 1);
            values[(long)r * vocab + first] = values[(long)r * vocab + second] = 2f;
        }
        var logits = Input(values, dtype, rows, vocab);
        var indices = Poisoned(I32, rows);
        Both((be, g) => be.ArgMax(indices.On(g), logits.On(g)));
        Gpu.Synchronize();
        Assert.That(indices.Gpu.ToInt32Array(), Is.EqualTo(indices.Cpu.ToInt32Array()));
    }

    public static IEnumerable<TestCaseData> PoolCases()
    {
        foreach (var kind in Enum.GetValues<PoolingKind>())
            foreach (var (batch, seqLen, dim) in new[] { (1, 1, 1), (3, 5, 7), (2, 9, 8), (4, 33, 384) })
                foreach (var (states, pooled) in new[] { (F32, F32), (BF16, BF16), (BF16, F32), (F32, BF16) })
                    yield return new TestCaseData(kind, batch, seqLen, dim, states, pooled).SetArgDisplayNames($"{kind} B={batch} T={seqLen} d={dim} {states}->{pooled}");
    }

    [TestCaseSource(nameof(PoolCases))]
    public void PoolAndItsBackwardMatchCpu(PoolingKind kind, int batch, int seqLen, int dim, DType statesType, DType pooledType)
    {
        var maskValues = new int[batch * seqLen];
        for (int i = 0; i < maskValues.Length; i++) maskValues[i] = Rng.Next(3) == 0 ? 0 : 1;
        if (batch > 1) Array.Clear(maskValues, 0, seqLen);   // an example with no position set pools to zeros
        var mask = Ints(maskValues, batch, seqLen);

        var states = Input(Values((long)batch * seqLen * dim), statesType, batch, seqLen, dim);
        var pooled = Poisoned(pooledType, batch, dim);
        Both((be, g) => be.Pool(pooled.On(g), states.On(g), mask.On(g), kind));
        AssertClose(pooled, $"{kind} pooling");

        var dPooled = Input(Values((long)batch * dim), pooledType, batch, dim);
        var dStates = Poisoned(statesType, batch, seqLen, dim);
        Both((be, g) => be.PoolBackward(dStates.On(g), dPooled.On(g), mask.On(g), kind));
        AssertClose(dStates, $"{kind} pooling backward");
    }
}
