using DePT.Tensors;
using static DePT.Tensors.DType;

namespace DePT.Tests.OpsGpu;

/// <summary>
/// Linear and its backwards on cuBLAS against the CPU. A GEMM runs in the dtype its operands meet in (the
/// weight's for Linear and LinearBackwardInput): f32 there and an f32 result are held to 1e-5 (fp32
/// accumulation both sides, K ≤ 768: the rounding of either sum is about √K·2⁻²⁴ ≈ 2e-6 of the result),
/// anything through bf16 to 1e-2.
/// </summary>
public class LinearGpuTests : OpsGpuTest
{
    private static readonly (int[] Lead, int In, int Out)[] Shapes =
        [([1], 1, 1), ([5], 16, 8), ([7], 33, 29), ([3, 13], 300, 35), ([97], 130, 211), ([2, 50], 768, 1000)];

    public static IEnumerable<TestCaseData> ForwardCases() => Cases([(F32, F32, F32), (BF16, BF16, BF16), (BF16, BF16, F32), (BF16, F32, F32), (F32, BF16, BF16), (F32, F32, BF16)]);

    public static IEnumerable<TestCaseData> BackwardInputCases() => Cases([(F32, F32, F32), (BF16, BF16, BF16), (BF16, F32, F32), (F32, BF16, BF16), (F32, F32, BF16)]);

    public static IEnumerable<TestCaseData> BackwardWeightCases() => Cases([(F32, F32, F32), (BF16, BF16, F32), (BF16, F32, F32), (F32, BF16, F32)]);

    // (x, w, y) for Linear; (dY, w, dX) for LinearBackwardInput; (dY, x, dW) for LinearBackwardWeight
    private static IEnumerable<TestCaseData> Cases((DType, DType, DType)[] types)
    {
        foreach (var (lead, inFeatures, outFeatures) in Shapes)
            foreach (var (t0, t1, t2) in types)
                yield return new TestCaseData(lead, inFeatures, outFeatures, t0, t1, t2)
                    .SetArgDisplayNames($"[{string.Join(",", lead)}] {inFeatures}->{outFeatures} {t0}/{t1}/{t2}");
    }

    [TestCaseSource(nameof(ForwardCases))]
    public void LinearMatchesCpu(int[] lead, int inFeatures, int outFeatures, DType xType, DType wType, DType yType)
    {
        int n = (int)Count(lead);
        var x = Input(Values(n * inFeatures), xType, [.. lead, inFeatures]);
        var w = Input(Values(outFeatures * inFeatures), wType, outFeatures, inFeatures);
        var b = Input(Values(outFeatures), wType, outFeatures);
        double bound = wType == F32 && yType == F32 ? F32Bound : Bf16Bound;

        var y = Poisoned(yType, [.. lead, outFeatures]);
        Both((be, g) => be.Linear(y.On(g), x.On(g), w.On(g), b.On(g)));
        AssertClose(y, "Linear + bias", bound);

        var noBias = Poisoned(yType, [.. lead, outFeatures]);
        Both((be, g) => be.Linear(noBias.On(g), x.On(g), w.On(g), null));
        AssertClose(noBias, "Linear without bias", bound);

        var accumulated = Input(Values(n * outFeatures), yType, [.. lead, outFeatures]);
        Both((be, g) => be.Linear(accumulated.On(g), x.On(g), w.On(g), null, accumulate: true));
        AssertClose(accumulated, "Linear accumulated", bound, AccumulatedFloor);

        var accumulatedWithBias = Input(Values(n * outFeatures), yType, [.. lead, outFeatures]);
        Both((be, g) => be.Linear(accumulatedWithBias.On(g), x.On(g), w.On(g), b.On(g), accumulate: true));
        AssertClose(accumulatedWithBias, "Linear + bias accumulated", bound, AccumulatedFloor);
    }

    [TestCaseSource(nameof(BackwardInputCases))]
    public void LinearBackwardInputMatchesCpu(int[] lead, int inFeatures, int outFeatures, DType dyType, DType wType, DType dxType)
    {
        int n = (int)Count(lead);
        var dy = Input(Values(n * outFeatures), dyType, [.. lead, outFeatures]);
        var w = Input(Values(outFeatures * inFeatures), wType, outFeatures, inFeatures);
        double bound = wType == F32 && dxType == F32 ? F32Bound : Bf16Bound;

        var dx = Poisoned(dxType, [.. lead, inFeatures]);
        Both((be, g) => be.LinearBackwardInput(dx.On(g), dy.On(g), w.On(g)));
        AssertClose(dx, "dInput", bound);

        var accumulated = Input(Values(n * inFeatures), dxType, [.. lead, inFeatures]);
        Both((be, g) => be.LinearBackwardInput(accumulated.On(g), dy.On(g), w.On(g), accumulate: true));
        AssertClose(accumulated, "dInput accumulated", bound, AccumulatedFloor);
    }

    [TestCaseSource(nameof(BackwardWeightCases))]
    public void LinearBackwardWeightMatchesCpu(int[] lead, int inFeatures, int outFeatures, DType dyType, DType xType, DType dwType)
    {
        int n = (int)Count(lead);
        var dy = Input(Values(n * outFeatures), dyType, [.. lead, outFeatures]);
        var x = Input(Values(n * inFeatures), xType, [.. lead, inFeatures]);
        // mixed operands are widened to f32 exactly, so only an all-bf16 product runs on bf16 tensor cores
        double bound = dyType == BF16 && xType == BF16 ? Bf16Bound : F32Bound;

        var dw = Input(Values(outFeatures * inFeatures), dwType, outFeatures, inFeatures);
        var db = Input(Values(outFeatures), F32, outFeatures);
        Both((be, g) => be.LinearBackwardWeight(dw.On(g), db.On(g), dy.On(g), x.On(g)));
        AssertClose(dw, "dWeight += dOutputᵀ·input", bound);
        AssertClose(db, "dBias += column sums of dOutput", F32Bound);

        var dwOnly = Input(Values(outFeatures * inFeatures), dwType, outFeatures, inFeatures);
        Both((be, g) => be.LinearBackwardWeight(dwOnly.On(g), null, dy.On(g), x.On(g)));
        AssertClose(dwOnly, "dWeight without dBias", bound);
    }
}
