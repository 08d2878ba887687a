using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Tensors;
using DePT.Training;

namespace DePT.Tests.Training;

/// <summary>Bad input to the optimiser and its ops: each an exception of the right type whose message names the tensor and the values.</summary>
public class OptimizerValidationTests
{
    private static readonly CpuBackend Cpu = new();

    private static Tensor F(params int[] shape) => Cpu.Allocate(DType.F32, shape);
    private static Tensor H(params int[] shape) => Cpu.Allocate(DType.BF16, shape);
    private static TrainableTensor P(string name, Tensor value, Tensor gradient) => new(name, value, gradient);
    private static AdamWStep Step(int t = 1) => new(0.01f, 0.9f, 0.999f, 1e-6f, 0f, t, 1f);

    private static void Build(AdamWSettings settings, params ParameterGroup[] groups) => new AdamW(Cpu, groups, settings).Dispose();
    private static void Build(params ParameterGroup[] groups) => Build(new AdamWSettings(), groups);

    public static IEnumerable<TestCaseData> Cases()
    {
        yield return Case<ArgumentException>("gradient shape", () => Build(new ParameterGroup("prompt", 0.3f, [P("prompt_embeddings", F(4, 8), F(4, 9))])),
            "parameter 'prompt_embeddings' of group 'prompt'", "gradient f32[4, 9]", "value f32[4, 8]");
        yield return Case<ArgumentException>("gradient dtype", () => Build(new ParameterGroup("low-rank", 1e-4f, [P("A", F(3), H(3))])),
            "parameter 'A' of group 'low-rank'", "gradient bf16[3] must be f32");
        yield return Case<ArgumentException>("value dtype", () => Build(new ParameterGroup("prompt", 0.3f, [P("P", H(3), F(3))])), "parameter 'P'", "value bf16[3] must be f32");
        yield return Case<ArgumentException>("duplicate name", () => Build(new ParameterGroup("g1", 0.3f, [P("x", F(3), F(3))]), new ParameterGroup("g2", 0.1f, [P("x", F(2), F(2))])),
            "parameter 'x' of group 'g2'", "already taken by a parameter of group 'g1'");
        yield return Case<ArgumentException>("same tensor twice", () => { var t = F(3); Build(new ParameterGroup("g", 0.3f, [P("a", t, F(3)), P("b", F(3), t)])); },
            "parameter 'b'", "gradient f32[3] is already the value of parameter 'a'");
        yield return Case<ArgumentException>("no parameter", () => Build(new ParameterGroup("g", 0.3f, [])), "no parameter to train");
        yield return Case<ArgumentOutOfRangeException>("group rate", () => Build(new ParameterGroup("g", -1f, [P("a", F(3), F(3))])), "group 'g'", "-1");
        yield return Case<ArgumentOutOfRangeException>("beta1", () => Build(new AdamWSettings(Beta1: 1f), new ParameterGroup("g", 0.3f, [P("a", F(3), F(3))])), "AdamWSettings.Beta1", "[0, 1)");
        yield return Case<ArgumentOutOfRangeException>("total steps", () => Build(new AdamWSettings(WarmupSteps: 10, TotalSteps: 5), new ParameterGroup("g", 0.3f, [P("a", F(3), F(3))])),
            "AdamWSettings.TotalSteps", "WarmupSteps (10)");

        yield return Case<ArgumentException>("SquaredNorm result shape", () => Cpu.SquaredNorm(F(2), F(5), false), "SquaredNorm", "result is f32[2]", "(1)");
        yield return Case<ArgumentException>("SquaredNorm input dtype", () => Cpu.SquaredNorm(F(1), H(5), false), "SquaredNorm", "input bf16[5] must be f32");
        yield return Case<ArgumentException>("AdamWUpdate moment shape", () => Cpu.AdamWUpdate(F(3), F(3), F(4), F(3), null, Step()), "AdamWUpdate", "firstMoment is f32[4]", "parameter f32[3]");
        yield return Case<ArgumentException>("AdamWUpdate gradient shape", () => Cpu.AdamWUpdate(F(3), F(1, 3), F(3), F(3), null, Step()), "gradient is f32[1, 3]");
        yield return Case<ArgumentException>("AdamWUpdate moment dtype", () => Cpu.AdamWUpdate(F(3), F(3), F(3), H(3), null, Step()), "AdamWUpdate", "secondMoment bf16[3] must be f32");
        yield return Case<ArgumentException>("AdamWUpdate norm shape", () => Cpu.AdamWUpdate(F(3), F(3), F(3), F(3), F(2), Step()), "squaredGradNorm is f32[2]", "(1)");
        yield return Case<ArgumentException>("AdamWUpdate aliased moments", () => { var m = F(3); Cpu.AdamWUpdate(F(3), F(3), m, m, null, Step()); },
            "firstMoment and secondMoment are the same tensor");
        yield return Case<ArgumentOutOfRangeException>("AdamWUpdate step 0", () => Cpu.AdamWUpdate(F(3), F(3), F(3), F(3), null, Step(0)), "AdamWUpdate", "counts from 1");
        yield return Case<ArgumentOutOfRangeException>("AdamWUpdate beta2", () => Cpu.AdamWUpdate(F(3), F(3), F(3), F(3), null, Step() with { Beta2 = 1.5f }), "Beta2", "[0, 1)");
    }

    private static TestCaseData Case<TException>(string name, Action call, params string[] fragments) where TException : Exception =>
        new TestCaseData(call, typeof(TException), fragments).SetArgDisplayNames(name);

    [TestCaseSource(nameof(Cases))]
    public void BadInputIsRejectedWithAMessageNamingIt(Action call, Type exceptionType, string[] fragments)
    {
        var e = Assert.Catch(() => call());
        Assert.That(e, Is.TypeOf(exceptionType), e!.ToString());
        foreach (var fragment in fragments) Assert.That(e.Message, Does.Contain(fragment));
    }
}
