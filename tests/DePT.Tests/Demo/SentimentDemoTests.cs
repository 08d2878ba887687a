using DePT.Data;
using DePT.Data.Sources;
using DePT.Demo;
using DePT.Devices;
using DePT.Prompts;

namespace DePT.Tests.Demo;

/// <summary>The demo orchestration on a tiny subset of the real sentences with the real MiniLM, on the CPU.</summary>
public class SentimentDemoTests
{
    [Test]
    public void TinyRun_GivesThreeRows_WithEqualPromptBudgets()
    {
        var options = new SentimentDemoOptions(DeviceKind.Cpu, Steps: 3, BatchSize: 4, MaxLength: 32, Seed: TestContext.CurrentContext.Random.Next(),
            TrainCount: 64, TestCount: 32, EvaluationBatchSize: 32);
        SentimentDemoReport report;
        try
        {
            report = SentimentDemo.Run(options);
        }
        catch (DataFetchException e)
        {
            Assert.Ignore($"the sentiment sentences cannot be fetched here: {e.Message}");
            return;
        }

        Assert.That(report.Results.Select(r => r.Method), Is.EqualTo(new[] { DemoMethod.HeadOnly, DemoMethod.PromptTuning, DemoMethod.DecomposedPromptTuning }));
        Assert.That((report.TrainCount, report.TestCount), Is.EqualTo((64, 32)));
        foreach (var row in report.Results)
        {
            Assert.That(row.TestAccuracy, Is.InRange(0.0, 1.0), row.Description);
            Assert.That(row.TrainingTime.TotalSeconds, Is.GreaterThan(0).And.LessThan(3600), row.Description);
            Assert.That(double.IsFinite(row.FinalLoss), row.Description);
            Assert.That(row.HeadParameters, Is.EqualTo(2 * 384 + 2), row.Description);
            Assert.That(row.PeakDeviceBytes, Is.Null, "the CPU keeps no pool peak");
        }
        // s = 32, d = 384, L = 20: 7680 = 7·384 + 12·(32 + 384), the exact DePT shape nearest 0.6·L rows
        Assert.That((report.PromptLength, report.Rank), Is.EqualTo((7, 12)));
        Assert.That(report.Results[0].PromptParameters, Is.Zero);
        Assert.That(report.Results[1].PromptParameters, Is.EqualTo(20 * 384));
        Assert.That(report.Results[2].PromptParameters, Is.EqualTo(report.Results[1].PromptParameters));
    }

    [Test]
    public void Split_IsBalancedDisjointAndSeeded()
    {
        var random = TestContext.CurrentContext.Random;
        var sentences = Enumerable.Range(0, 40).Select(i => new Example($"sentence {i} {random.Next()}", null, (i % 3 == 0 ? "1" : "0"), "file", i + 1)).ToArray();
        int seed = random.Next();

        var (train, test) = SentimentDemo.Split(sentences, 12, 8, seed);
        var (again, _) = SentimentDemo.Split(sentences, 12, 8, seed);

        Assert.That(train.Count(e => e.Label == "1"), Is.EqualTo(6));
        Assert.That(test.Count(e => e.Label == "1"), Is.EqualTo(4));
        Assert.That(train.Intersect(test), Is.Empty);
        Assert.That(again, Is.EqualTo(train));
        Assert.That(() => SentimentDemo.Split(sentences, 20, 10, seed), Throws.ArgumentException.With.Message.Contains("labelled \"1\""));
    }

    [Test]
    public void Decomposition_MatchesThePromptBudget()
    {
        var shape = PromptBudget.Decomposition(384, 48, 20);
        Assert.That((shape.PromptLength, shape.Rank, shape.IsExact), Is.EqualTo((11, 8, true)));
        Assert.That(() => PromptBudget.Decomposition(384, 48, 1), Throws.ArgumentException);
    }
}
