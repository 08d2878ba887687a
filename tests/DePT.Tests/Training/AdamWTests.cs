using DePT.Backends.Cpu;
using DePT.Tensors;
using DePT.Tests.Ops;
using DePT.Training;

namespace DePT.Tests.Training;

/// <summary>
/// The optimiser on the CPU backend against <see cref="AdamWReference"/> (double): a hand-checked first step,
/// three steps with and without weight decay, two groups with their own learning rates, clipping over all
/// groups, the schedule's use, zeroed gradients and a resume from the saved state.
/// </summary>
public class AdamWTests
{
    // fp32 against double over a few steps: each fp32 operation rounds at 6e-8; 1e-6 leaves room for a handful.
    private const double Bound = 1e-6;

    private readonly CpuBackend _cpu = new();
    private readonly List<Tensor> _live = [];
    private Random _rng = new(0);

    [SetUp]
    public void Seed() => _rng = OpTest.NewRandom();

    [TearDown]
    public void Release()
    {
        foreach (var t in _live) t.Dispose();
        _live.Clear();
    }

    [TestCase(0f, new[] { 0.4900000333, -1.2400000143, 1.9900000091 })]
    [TestCase(0.1f, new[] { 0.4895000333, -1.2387500143, 1.9880000091 })]
    public void TheFirstStepMovesEachElementByTheLearningRateAgainstItsGradient(float weightDecay, double[] expected)
    {
        // At t = 1 the bias corrections undo the moments' decay: m̂ = g, v̂ = g², so p1 = p0·(1 − lr·wd) − lr·g / (|g| + eps)
        // with lr 0.01, eps 1e-6: 0.5 − 0.01·0.3/0.300001, −1.25 + 0.01·0.7/0.700001, 2 − 0.01·1.1/1.100001 (times 0.999 first with wd 0.1).
        var p = Parameter("p", [0.5f, -1.25f, 2f]);
        p.Gradient.CopyFrom([0.3f, -0.7f, 1.1f]);
        using var adamw = new AdamW(_cpu, [new ParameterGroup("only", 0.01f, [p])], new AdamWSettings(WeightDecay: weightDecay, WarmupSteps: 0, MaxGradNorm: 0f));
        adamw.Step();
        Assert.That(p.Value.ToFloatArray(), Is.EqualTo(expected.Select(x => (float)x)).Within(1e-7));
        Assert.That(adamw.StepCount, Is.EqualTo(1));
    }

    [TestCase(0f)]
    [TestCase(0.1f)]
    public void ThreeStepsOfAThreeElementParameterFollowTheFormulas(float weightDecay)
    {
        float[] start = [0.5f, -1.25f, 2f];
        float[][] gradients = [[0.3f, -0.7f, 1.1f], [-0.2f, 0.4f, 0.9f], [0.6f, 0.05f, -1.5f]];
        const float lr = 0.01f;
        var settings = new AdamWSettings(WeightDecay: weightDecay, WarmupSteps: 0, TotalSteps: 3, MaxGradNorm: 0f);
        var p = Parameter("p", start);
        using var adamw = new AdamW(_cpu, [new ParameterGroup("only", lr, [p])], settings);
        var reference = new AdamWReference(start);
        for (int k = 0; k < 3; k++)
        {
            p.Gradient.CopyFrom(gradients[k]);
            adamw.Step();
            double scale = (3.0 - k) / 3;   // no warmup: the linear decay (T − k) / T, at steps k = 0, 1, 2
            reference.Step(gradients[k], 1, lr * scale, settings.Beta1, settings.Beta2, settings.Epsilon, weightDecay, k + 1);
            AssertMatches(adamw, 0, p, reference, $"step {k + 1}");
        }
    }

    [Test]
    public void EachGroupUsesItsOwnLearningRate()
    {
        var settings = new AdamWSettings(WarmupSteps: 0, TotalSteps: 100, MaxGradNorm: 0f);
        var (groups, parameters) = TwoGroups(0.3f, 1e-3f);
        using var adamw = new AdamW(_cpu, groups, settings);
        var starts = parameters.Select(p => p.Value.ToFloatArray()).ToArray();
        var references = starts.Select(v => new AdamWReference(v)).ToArray();
        float[] rates = [0.3f, 0.3f, 1e-3f];
        for (int k = 0; k < 3; k++)
        {
            var gradients = parameters.Select(p => SetGradient(p)).ToArray();
            adamw.Step();
            for (int i = 0; i < parameters.Length; i++)
            {
                if (k == 0)
                {
                    // at t = 1, m̂/sqrt(v̂) = g/|g|: every element moves by its group's rate (|g| ≥ 0.05 ≫ eps)
                    var moved = parameters[i].Value.ToFloatArray().Zip(starts[i], (after, before) => (double)Math.Abs(after - before));
                    Assert.That(moved, Is.All.InRange(rates[i] * 0.999, rates[i] * 1.001), $"first step of {parameters[i].Name}");
                }
                references[i].Step(gradients[i], 1, rates[i] * adamw.LearningRateScale(k), settings.Beta1, settings.Beta2, settings.Epsilon, 0, k + 1);
                AssertMatches(adamw, i, parameters[i], references[i], $"step {k + 1}");
            }
        }
    }

    [TestCase(5.0, 1.0)]     // above the threshold: every gradient scaled by 1 / (5 + 1e-6)
    [TestCase(0.5, 1.0)]     // below: left alone
    public void ClippingScalesTheGradientsOfAllGroupsByOneCoefficient(double globalNorm, double maxNorm)
    {
        var settings = new AdamWSettings(WarmupSteps: 0, TotalSteps: 100, MaxGradNorm: (float)maxNorm);
        var (groups, parameters) = TwoGroups(0.3f, 1e-3f);
        using var adamw = new AdamW(_cpu, groups, settings);
        var references = parameters.Select(p => new AdamWReference(p.Value.ToFloatArray())).ToArray();

        // Random gradients with unequal norms per tensor, rescaled so that the global norm is globalNorm.
        var gradients = parameters.Select((p, i) => OpTest.Values(_rng, p.Value.Length, scale: i + 1)).ToArray();
        double factor = globalNorm / Math.Sqrt(AdamWReference.SquaredNorm(gradients));
        for (int i = 0; i < parameters.Length; i++)
        {
            gradients[i] = Array.ConvertAll(gradients[i], g => (float)(g * factor));
            parameters[i].Gradient.CopyFrom(gradients[i]);
        }
        double clip = AdamWReference.ClipCoefficient(maxNorm, gradients);
        Assert.That(clip, globalNorm > maxNorm ? Is.EqualTo(maxNorm / (globalNorm + 1e-6)).Within(1e-6) : Is.EqualTo(1.0));

        adamw.Step();
        float[] rates = [0.3f, 0.3f, 1e-3f];
        for (int i = 0; i < parameters.Length; i++)
        {
            // after one step m = (1 − β1)·c·g: the one coefficient c shows in every group's moment
            var m = adamw.State[i].FirstMoment.ToFloatArray();
            OpTest.AssertClose(m, gradients[i].Select(g => (1 - (double)settings.Beta1) * clip * g).ToArray(), Bound, $"m of {parameters[i].Name}");
            references[i].Step(gradients[i], clip, rates[i], settings.Beta1, settings.Beta2, settings.Epsilon, 0, 1);
            AssertMatches(adamw, i, parameters[i], references[i], "step 1");
        }
    }

    [Test]
    public void StepZeroesEveryGradientAndZeroGradientsDoesToo()
    {
        var (groups, parameters) = TwoGroups(0.3f, 1e-3f);
        using var adamw = new AdamW(_cpu, groups, new AdamWSettings());
        foreach (var p in parameters) SetGradient(p);
        adamw.Step();
        foreach (var p in parameters) Assert.That(p.Gradient.ToFloatArray(), Is.All.EqualTo(0f), $"gradient of {p.Name} after Step");

        foreach (var p in parameters) SetGradient(p);
        adamw.ZeroGradients();
        foreach (var p in parameters) Assert.That(p.Gradient.ToFloatArray(), Is.All.EqualTo(0f), $"gradient of {p.Name} after ZeroGradients");
        Assert.That(adamw.StepCount, Is.EqualTo(1), "ZeroGradients is not a step");
    }

    [Test]
    public void StepKUsesTheScheduleAtK()
    {
        // warmup 2: step 0 runs at lr·0 (the moments move, the parameter does not), step 1 at lr·0.5, step 2 at lr
        var settings = new AdamWSettings(WarmupSteps: 2, TotalSteps: 10, MaxGradNorm: 0f);
        var start = OpTest.Values(_rng, 5);
        var p = Parameter("p", start);
        using var adamw = new AdamW(_cpu, [new ParameterGroup("only", 0.05f, [p])], settings);
        var reference = new AdamWReference(start);
        for (int k = 0; k < 3; k++)
        {
            var g = SetGradient(p);
            adamw.Step();
            reference.Step(g, 1, 0.05 * new[] { 0, 0.5, 1 }[k], settings.Beta1, settings.Beta2, settings.Epsilon, 0, k + 1);
            if (k == 0)
            {
                Assert.That(p.Value.ToFloatArray(), Is.EqualTo(start), "the first warmup step has learning rate 0");
                Assert.That(adamw.State[0].FirstMoment.ToFloatArray(), Has.None.EqualTo(0f), "but it moves the moments");
            }
            AssertMatches(adamw, 0, p, reference, $"step {k + 1}");
        }
    }

    [Test]
    public void ResumingFromTheStateContinuesTheSameRun()
    {
        var settings = new AdamWSettings(WarmupSteps: 1, TotalSteps: 6, WeightDecay: 0.01f);
        var start = OpTest.Values(_rng, 7);
        var gradients = Enumerable.Range(0, 4).Select(_ => OpTest.Values(_rng, 7)).ToArray();

        var straight = Parameter("p", start);
        using var uninterrupted = new AdamW(_cpu, [new ParameterGroup("only", 0.1f, [straight])], settings);
        foreach (var g in gradients)
        {
            straight.Gradient.CopyFrom(g);
            uninterrupted.Step();
        }

        var resumed = Parameter("p", start);
        using (var first = new AdamW(_cpu, [new ParameterGroup("only", 0.1f, [resumed])], settings))
        {
            for (int k = 0; k < 2; k++)
            {
                resumed.Gradient.CopyFrom(gradients[k]);
                first.Step();
            }
            using var second = new AdamW(_cpu, [new ParameterGroup("only", 0.1f, [resumed])], settings);
            second.State[0].FirstMoment.CopyFrom(first.State[0].FirstMoment.ToFloatArray());
            second.State[0].SecondMoment.CopyFrom(first.State[0].SecondMoment.ToFloatArray());
            second.StepCount = first.StepCount;
            for (int k = 2; k < 4; k++)
            {
                resumed.Gradient.CopyFrom(gradients[k]);
                second.Step();
            }
            Assert.That(second.StepCount, Is.EqualTo(4));
        }
        Assert.That(resumed.Value.ToFloatArray(), Is.EqualTo(straight.Value.ToFloatArray()), "bit for bit");
    }

    [Test]
    public void StateNamesEveryParameterWithItsMoments()
    {
        var (groups, parameters) = TwoGroups(0.3f, 1e-3f);
        using var adamw = new AdamW(_cpu, groups, new AdamWSettings());
        var state = adamw.State;
        Assert.That(state.Select(s => s.Name), Is.EqualTo(parameters.Select(p => p.Name)));
        for (int i = 0; i < state.Count; i++)
        {
            Assert.That(state[i].FirstMoment.Shape.ToArray(), Is.EqualTo(parameters[i].Value.Shape.ToArray()));
            Assert.That(state[i].SecondMoment.DType, Is.EqualTo(DType.F32));
            Assert.That(state[i].FirstMoment.ToFloatArray().Concat(state[i].SecondMoment.ToFloatArray()), Is.All.EqualTo(0f), "moments start at 0");
        }
        adamw.Dispose();
        Assert.That(state[0].FirstMoment.IsDisposed, "Dispose frees the moments");
        Assert.That(parameters[0].Value.IsDisposed, Is.False, "but not the parameters");
        Assert.Throws<ObjectDisposedException>(adamw.Step);
    }

    /// <summary>The parameter and both moments of entry <paramref name="index"/> against the reference.</summary>
    private static void AssertMatches(AdamW adamw, int index, TrainableTensor p, AdamWReference reference, string when)
    {
        OpTest.AssertClose(p.Value.ToFloatArray(), reference.Value, Bound, $"{p.Name} after {when}");
        OpTest.AssertClose(adamw.State[index].FirstMoment.ToFloatArray(), reference.FirstMoment, Bound, $"m of {p.Name} after {when}");
        OpTest.AssertClose(adamw.State[index].SecondMoment.ToFloatArray(), reference.SecondMoment, Bound, $"v of {p.Name} after {when}");
    }

    /// <summary>DePT's two groups: a prompt group of two tensors and a low-rank group of one, fresh random values.</summary>
    private (ParameterGroup[] Groups, TrainableTensor[] Parameters) TwoGroups(float promptRate, float lowRankRate)
    {
        var prompt = Parameter("prompt", OpTest.Values(_rng, 6), 2, 3);
        var a = Parameter("lora_embedding_A", OpTest.Values(_rng, 8), 4, 2);
        var b = Parameter("lora_embedding_B", OpTest.Values(_rng, 6), 2, 3);
        return ([new ParameterGroup("prompt", promptRate, [prompt, a]), new ParameterGroup("low-rank", lowRankRate, [b])], [prompt, a, b]);
    }

    private TrainableTensor Parameter(string name, float[] values, params int[] shape)
    {
        if (shape.Length == 0) shape = [values.Length];
        var value = Track(_cpu.Allocate(DType.F32, shape));
        value.CopyFrom(values);
        var gradient = Track(_cpu.Allocate(DType.F32, shape));
        gradient.FillBytes(0xFF);   // NaN until a test sets it
        return new TrainableTensor(name, value, gradient);
    }

    private float[] SetGradient(TrainableTensor p)
    {
        var g = OpTest.Values(_rng, p.Gradient.Length);
        p.Gradient.CopyFrom(g);
        return g;
    }

    private Tensor Track(Tensor t)
    {
        _live.Add(t);
        return t;
    }
}
