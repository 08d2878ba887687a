using DePT.Models;
using DePT.Tensors;
using static DePT.Tensors.DType;

namespace DePT.Tests.OpsGpu;

/// <summary>Every activation, plain and gated, forward and backward, on inputs in [−5, 5) (GELU's and SiLU's tails included).</summary>
public class ActivationGpuTests : OpsGpuTest
{
    private static readonly int[][] Shapes = [[1], [3, 37], [2, 5, 300]];

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var fn in Enum.GetValues<ActivationFunction>())
            foreach (var shape in Shapes)
                foreach (var (input, output) in new[] { (F32, F32), (BF16, BF16), (F32, BF16), (BF16, F32) })
                    yield return new TestCaseData(fn, shape, input, output).SetArgDisplayNames($"{fn} [{string.Join(",", shape)}] {input}->{output}");
    }

    public static IEnumerable<TestCaseData> GatedCases()
    {
        foreach (var fn in Enum.GetValues<ActivationFunction>())
            foreach (var (lead, ff) in new[] { (new[] { 3 }, 1), (new[] { 3 }, 7), (new[] { 2, 5 }, 8), (new[] { 4 }, 300) })
                foreach (var (input, output) in new[] { (F32, F32), (BF16, BF16), (BF16, F32) })
                    yield return new TestCaseData(fn, lead, ff, input, output).SetArgDisplayNames($"{fn} [{string.Join(",", lead)}] F={ff} {input}->{output}");
    }

    [TestCaseSource(nameof(Cases))]
    public void ActivationMatchesCpu(ActivationFunction fn, int[] shape, DType inputType, DType outputType)
    {
        var x = Input(Uniform(Count(shape), -5f, 5f), inputType, shape);
        var y = Poisoned(outputType, shape);
        Both((be, g) => be.Activation(y.On(g), x.On(g), fn));
        AssertClose(y, $"{fn}");

        // dOutput in the input's dtype, dInput in the output's: a mixed trio
        var dy = Input(Values(Count(shape)), inputType, shape);
        var dx = Poisoned(outputType, shape);
        Both((be, g) => be.ActivationBackward(dx.On(g), dy.On(g), x.On(g), fn));
        AssertClose(dx, $"{fn} backward");
    }

    [TestCaseSource(nameof(Cases))]
    public void ActivationInPlaceMatchesCpu(ActivationFunction fn, int[] shape, DType inputType, DType outputType)
    {
        if (inputType != outputType) Assert.Ignore("In place needs one tensor, so one dtype.");
        var x = Input(Uniform(Count(shape), -5f, 5f), inputType, shape);
        Both((be, g) => be.Activation(x.On(g), x.On(g), fn));
        AssertClose(x, $"{fn} in place");
    }

    [TestCaseSource(nameof(GatedCases))]
    public void GatedActivationMatchesCpu(ActivationFunction fn, int[] lead, int ff, DType inputType, DType outputType)
    {
        int n = (int)Count(lead);
        var x = Input(Uniform(n * 2L * ff, -5f, 5f), inputType, [.. lead, 2 * ff]);
        var y = Poisoned(outputType, [.. lead, ff]);
        Both((be, g) => be.GatedActivation(y.On(g), x.On(g), fn));
        AssertClose(y, $"gated {fn}");

        var dy = Input(Values(n * ff), inputType, [.. lead, ff]);
        var dx = Poisoned(outputType, [.. lead, 2 * ff]);
        Both((be, g) => be.GatedActivationBackward(dx.On(g), dy.On(g), x.On(g), fn));
        AssertClose(dx, $"gated {fn} backward");
    }
}
