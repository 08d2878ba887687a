using DePT.Benchmarks.Plan;
using DePT.Models;

namespace DePT.Tests.Benchmarks;

/// <summary>The harness's model table, methods and plans.</summary>
public class ModelPlanTests
{
    // Parameter counts Hugging Face reports for t5-small, t5-base, t5-large and t5-3b.
    [TestCase("t5-small", 60_506_624L)]
    [TestCase("t5-base", 222_903_552L)]
    [TestCase("t5-large", 737_668_096L)]
    [TestCase("t5-3b", 2_851_598_336L)]
    public void ModelShapes_HaveThePublishedParameterCounts(string name, long parameters)
    {
        Assert.That(ModelShapes.Find(name).ParameterCount, Is.EqualTo(parameters));
    }

    [Test]
    public void ModelShape_ParsesIntoTheRuntimeConfig()
    {
        var shape = ModelShapes.Find("T5-3B");
        T5Config config = shape.ToConfig();

        Assert.Multiple(() =>
        {
            Assert.That(config.ModelDim, Is.EqualTo(1024));
            Assert.That(config.NumHeads * config.HeadDim, Is.EqualTo(4096));
            Assert.That(config.FeedForwardDim, Is.EqualTo(16384));
            Assert.That((config.NumLayers, config.NumDecoderLayers), Is.EqualTo((24, 24)));
            Assert.That(config.IsGatedFeedForward, Is.False);
            Assert.That(config.DropoutRate, Is.EqualTo(0.1));
            Assert.That(config.VocabSize, Is.EqualTo(32128));
        });
    }

    [Test]
    public void UnknownModel_NamesTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelShapes.Find("t5-xxl"));
        Assert.That(e!.Message, Does.Contain("t5-xxl").And.Contain("t5-base").And.Contain("t5-3b"));
    }

    [Test]
    public void Methods_HaveEqualTrainableParametersOnT5Base()
    {
        // The paper's budget: PT L = 100 on d = 768 is 76,800 parameters, and every DePT split with s = 256 matches it.
        Assert.That(BenchMethod.All.Where(m => m.HasPrompt).Select(m => m.TrainableParameters(768, 256)), Has.All.EqualTo(76_800L));
        Assert.That(BenchMethod.Frozen.TrainableParameters(768, 256), Is.Zero);
    }

    [TestCase("frozen", "frozen", 0, 0)]
    [TestCase("pt", "pt", 100, 0)]
    [TestCase("PT:20", "pt", 20, 0)]
    [TestCase("dept", "dept", 60, 30)]
    [TestCase("dept:40:45", "dept", 40, 45)]
    public void Method_Parses(string text, string kind, int promptLength, int rank)
    {
        Assert.That(BenchMethod.Parse(text), Is.EqualTo(new BenchMethod(kind, promptLength, rank)));
    }

    [TestCase("lora")]
    [TestCase("dept:60")]
    [TestCase("pt:-3")]
    [TestCase("dept:60:x")]
    public void Method_RejectsWhatItDoesNotKnow(string text)
    {
        var e = Assert.Throws<FormatException>(() => BenchMethod.Parse(text));
        Assert.That(e!.Message, Does.Contain(text));
    }

    [Test]
    public void LowRankScale_IsAlphaOverRootRank()
    {
        Assert.That(new BenchMethod("dept", 60, 30).LowRankScale, Is.EqualTo(8 / MathF.Sqrt(30)));
        Assert.That(BenchMethod.Pt.LowRankScale, Is.Zero);
    }

    [Test]
    public void QuickPlan_IsBaseAndLargeAtBatch32WithThreeMethods()
    {
        var plan = BenchPlan.Quick();

        Assert.Multiple(() =>
        {
            Assert.That(plan.Cases.Select(c => c.Model.Name).Distinct(), Is.EqualTo(new[] { "t5-base", "t5-large" }));
            Assert.That(plan.Cases, Has.Count.EqualTo(6));
            Assert.That(plan.Cases, Has.All.Matches<BenchCase>(c => c.Batch == 32 && !c.DynamicPadding));
            Assert.That(plan.Cases.Select(c => c.Method).Distinct(), Is.EqualTo(new[] { BenchMethod.Frozen, BenchMethod.Pt, BenchMethod.Dept60x30 }));
            Assert.That((plan.WarmupSteps, plan.TimedSteps), Is.EqualTo((3, 20)));
            Assert.That(plan.TimeLimit + DePT.Benchmarks.Gpu.GpuHarness.WatchdogGrace, Is.LessThan(TimeSpan.FromMinutes(2.5)));
        });
    }

    [Test]
    public void FullPlan_RunsT5_3BAtBatch8Only()
    {
        var plan = BenchPlan.Full();

        Assert.Multiple(() =>
        {
            Assert.That(plan.Cases, Has.Count.EqualTo((3 * 2 + 1) * 2 * 5));
            Assert.That(plan.Cases.Where(c => c.Model.Name == "t5-3b").Select(c => c.Batch).Distinct(), Is.EqualTo(new[] { 8 }));
            Assert.That(plan.Cases.Where(c => c.Model.Name == "t5-base").Select(c => c.Batch).Distinct(), Is.EqualTo(new[] { 8, 32 }));
            Assert.That(plan.Cases.Select(c => c.DynamicPadding).Distinct(), Is.EquivalentTo(new[] { false, true }));
            Assert.That(plan.TimedSteps, Is.GreaterThanOrEqualTo(50));
            Assert.That(plan.Cases.Select(c => c.Model.Name).Last(), Is.EqualTo("t5-3b"), "the largest model last, so a failure there costs nothing else");
        });
    }

    [Test]
    public void PlanWith_NarrowsTheChosenDimensionsOnly()
    {
        var plan = BenchPlan.Full().With([ModelShapes.Find("t5-small")], null, [true], [BenchMethod.Pt]);

        Assert.That(plan.Cases.Select(c => (c.Model.Name, c.Batch, c.DynamicPadding, c.Method.Kind)),
            Is.EqualTo(new[] { ("t5-small", 8, true, "pt"), ("t5-small", 32, true, "pt") }));
        Assert.That(BenchPlan.Quick().With(null, null, null, null).Cases, Is.EqualTo(BenchPlan.Quick().Cases));
    }
}
