using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Models;
using DePT.Tensors;

namespace DePT.Tests.Ops;

/// <summary>Bad input to the transformer ops: each case an exception of the right type whose message names the op, the tensor and the values.</summary>
public class OpValidationTests
{
    private static readonly CpuBackend Cpu = new();

    private static Tensor F(params int[] shape) => Cpu.Allocate(DType.F32, shape);
    private static Tensor H(params int[] shape) => Cpu.Allocate(DType.BF16, shape);
    private static Tensor I(params int[] shape) => Cpu.Allocate(DType.I32, shape);

    public static IEnumerable<TestCaseData> Cases()
    {
        yield return Case<ArgumentException>("Linear input width", c => c.Linear(F(4, 6), F(4, 5), F(6, 7), null), "Linear", "input f32[4, 5]", "in=7");
        yield return Case<ArgumentException>("Linear output width", c => c.Linear(F(4, 5), F(4, 7), F(6, 7), null), "Linear", "output f32[4, 5]", "out=6");
        yield return Case<ArgumentException>("Linear rows", c => c.Linear(F(3, 6), F(4, 7), F(6, 7), null), "output f32[3, 6] holds 3 rows", "holds 4");
        yield return Case<ArgumentException>("Linear int input", c => c.Linear(F(4, 6), I(4, 7), F(6, 7), null), "input i32[4, 7] must be f32 or bf16");
        yield return Case<ArgumentException>("Linear bias", c => c.Linear(F(4, 6), F(4, 7), F(6, 7), F(7)), "bias is f32[7]", "(out=6)");
        yield return Case<ArgumentException>("Linear weight rank", c => c.Linear(F(4, 6), F(4, 7), F(42), null), "weight f32[42] must have rank 2");
        yield return Case<ArgumentException>("Linear in place", c => { var t = F(4, 6); c.Linear(t, t, F(6, 6), null); }, "Linear", "output and input are the same tensor");
        yield return Case<ArgumentException>("LinearBackwardInput width", c => c.LinearBackwardInput(F(4, 8), F(4, 6), F(6, 7)), "LinearBackwardInput", "dInput f32[4, 8]", "in=7");
        yield return Case<ArgumentException>("LinearBackwardWeight bf16", c => c.LinearBackwardWeight(H(6, 7), null, F(4, 6), F(4, 7)), "dWeight bf16[6, 7] must be f32");
        yield return Case<ArgumentException>("RmsNorm rstd count", c => c.RmsNorm(F(3, 8), F(4), F(3, 8), F(8), 1e-6f), "RmsNorm", "rstd f32[4]", "N=3");
        yield return Case<ArgumentException>("RmsNorm rstd dtype", c => c.RmsNorm(F(3, 8), H(3), F(3, 8), F(8), 1e-6f), "rstd bf16[3] must be f32");
        yield return Case<ArgumentException>("RmsNorm weight", c => c.RmsNorm(F(3, 8), F(3), F(3, 8), F(9), 1e-6f), "weight is f32[9]", "(d=8)");
        yield return Case<ArgumentOutOfRangeException>("RmsNorm eps", c => c.RmsNorm(F(3, 8), F(3), F(3, 8), F(8), float.NaN), "eps");
        yield return Case<ArgumentException>("LayerNorm output", c => c.LayerNorm(F(3, 9), F(3), F(3), F(3, 8), F(8), F(8), 1e-5f), "LayerNorm", "output is f32[3, 9]", "input f32[3, 8]");
        yield return Case<ArgumentException>("LayerNormBackward mean", c => c.LayerNormBackward(F(3, 8), F(3, 8), F(3, 8), F(8), F(2), F(3)), "LayerNormBackward", "mean f32[2]");
        yield return Case<ArgumentException>("Activation shapes", c => c.Activation(F(3, 8), F(3, 9), ActivationFunction.Gelu), "Activation", "input is f32[3, 9]", "output f32[3, 8]");
        yield return Case<ArgumentException>("GatedActivation odd width", c => c.GatedActivation(F(3, 4), F(3, 9), ActivationFunction.Gelu), "GatedActivation", "width 9 is odd");
        yield return Case<ArgumentException>("GatedActivation output", c => c.GatedActivation(F(3, 5), F(3, 8), ActivationFunction.Gelu), "output f32[3, 5]", "F=4");
        yield return Case<ArgumentException>("Add shapes", c => c.Add(F(2, 3), F(2, 3), F(3, 2)), "Add", "b is f32[3, 2]");
        yield return Case<ArgumentException>("Copy count", c => c.Copy(H(7), F(8)), "Copy", "7 elements", "8");
        yield return Case<ArgumentException>("Fill int", c => c.Fill(I(3), 1f), "Fill", "must be f32 or bf16");
        yield return Case<ArgumentException>("Lookup output", c => c.EmbeddingLookup(F(2, 3, 5), I(2, 3), F(10, 4), 1f), "EmbeddingLookup", "output is f32[2, 3, 5]", "d=4");
        yield return Case<ArgumentException>("Lookup float ids", c => c.EmbeddingLookup(F(2, 3, 4), F(2, 3), F(10, 4), 1f), "tokenIds f32[2, 3] must be i32");
        yield return Case<ArgumentOutOfRangeException>("Positions too few", c => c.AddPositionEmbeddings(F(2, 9, 4), F(8, 4), F(2, 4), null), "9 positions", "only 8");
        yield return Case<ArgumentException>("Bias heads", c => c.RelativePositionBias(F(3, 2, 2), F(32, 4), 0, true, 128), "RelativePositionBias", "H=4");
        yield return Case<ArgumentException>("Bias buckets", c => c.RelativePositionBias(F(4, 2, 2), F(3, 4), 0, true, 128), "3 buckets");
        yield return Case<ArgumentException>("Attention heads", c => c.Attention(F(2, 3, 10), F(2, 3, 10), F(2, 4, 10), F(2, 4, 10), null, null, new(3)), "Attention", "3 heads", "f32[2, 3, 10]");
        yield return Case<ArgumentException>("Attention value", c => c.Attention(F(2, 3, 8), F(2, 3, 8), F(2, 4, 8), F(2, 5, 8), null, null, new(2)), "value is f32[2, 5, 8]", "key f32[2, 4, 8]");
        yield return Case<ArgumentException>("Attention key batch", c => c.Attention(F(2, 3, 8), F(2, 3, 8), F(1, 4, 8), F(1, 4, 8), null, null, new(2)), "key is f32[1, 4, 8]", "B=2");
        yield return Case<ArgumentOutOfRangeException>("Attention key length", c => c.Attention(F(2, 3, 8), F(2, 3, 8), F(2, 4, 8), F(2, 4, 8), null, null, new(2, KeyLength: 5)), "KeyLength 5", "Tcap=4");
        yield return Case<ArgumentException>("Attention mask", c => c.Attention(F(2, 3, 8), F(2, 3, 8), F(2, 6, 8), F(2, 6, 8), I(2, 5), null, new(2, KeyLength: 4)), "keyMask is i32[2, 5]", "Tk=4", "Tcap=6");
        yield return Case<ArgumentException>("Attention bias", c => c.Attention(F(2, 3, 8), F(2, 3, 8), F(2, 4, 8), F(2, 4, 8), null, F(3, 3, 4), new(2)), "positionBias is f32[3, 3, 4]", "H=2");
        yield return Case<ArgumentException>("CrossEntropy labels", c => c.SoftmaxCrossEntropy(F(4), F(4, 9), I(3), -100, null), "SoftmaxCrossEntropy", "labels i32[3]", "N=4");
        yield return Case<ArgumentException>("CrossEntropy losses", c => c.SoftmaxCrossEntropy(H(4), F(4, 9), I(4), -100, null), "losses bf16[4] must be f32");
        yield return Case<ArgumentException>("Pool mask", c => c.Pool(F(2, 4), F(2, 3, 4), I(2, 4), PoolingKind.Mean), "Pool", "mask is i32[2, 4]", "T=3");
        yield return Case<ArgumentException>("PoolBackward output", c => c.PoolBackward(F(2, 3, 4), F(2, 5), I(2, 3), PoolingKind.Cls), "PoolBackward", "dOutput is f32[2, 5]");
        yield return Case<ArgumentException>("ArgMax indices", c => c.ArgMax(I(4), F(3, 5)), "ArgMax", "indices i32[4]", "N=3");
        yield return Case<ArgumentOutOfRangeException>("WriteRows overflow", c => c.WriteRows(F(2, 8, 4), F(2, 3, 4), 6), "WriteRows", "position 6", "f32[2, 8, 4]");
        yield return Case<ArgumentException>("WriteRows width", c => c.WriteRows(F(2, 8, 4), F(2, 3, 5), 0), "rows is f32[2, 3, 5]", "d=4");
    }

    private static TestCaseData Case<TException>(string name, Action<CpuBackend> call, params string[] fragments) where TException : Exception =>
        new TestCaseData(call, typeof(TException), fragments).SetArgDisplayNames(name);

    [TestCaseSource(nameof(Cases))]
    public void BadInputIsRejectedWithAMessageNamingIt(Action<CpuBackend> call, Type exceptionType, string[] fragments)
    {
        var e = Assert.Catch(() => call(Cpu));
        Assert.That(e, Is.TypeOf(exceptionType), e!.ToString());
        foreach (var fragment in fragments) Assert.That(e.Message, Does.Contain(fragment));
    }

    [Test]
    public void BackwardAfterTheStateIsDisposedIsRefused()
    {
        using var q = F(1, 2, 4);
        using var k = F(1, 2, 4);
        using var v = F(1, 2, 4);
        foreach (var t in new[] { q, k, v }) t.CopyFrom(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 });
        using var output = F(1, 2, 4);
        var state = Cpu.Attention(output, q, k, v, null, null, new(2));
        state.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => Cpu.AttentionBackward(F(1, 2, 4), F(1, 2, 4), F(1, 2, 4), output, q, k, v, state));
        Assert.That(e!.Message, Does.Contain("AttentionBackward").And.Contain("disposed"));
    }
}
