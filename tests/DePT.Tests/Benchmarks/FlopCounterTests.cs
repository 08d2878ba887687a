using DePT.Benchmarks.Plan;
using DePT.Benchmarks.Results;

namespace DePT.Tests.Benchmarks;

/// <summary>The counted FLOPs of a training step (the formula of benchmarks/README.md, "Result schema") on a shape small enough to count by hand.</summary>
public class FlopCounterTests
{
    // d 2, one encoder and one decoder layer, 1 head of width 2, d_ff 4, vocabulary 3; B 1, encoder 3 rows, decoder 2 rows.
    private static readonly ModelShape Tiny = new("tiny", 2, 1, 1, 1, 2, 4, "relu", 3);

    [Test]
    public void TinyShape_MatchesTheHandCount()
    {
        // Linear 2·rows·in·out. Encoder: q,k,v,o 4·(2·3·2·2) = 96, wi 2·3·2·4 = 48, wo 48 → 192.
        // Decoder: self q,k,v,o + cross q,o 6·(2·2·2·2) = 96, cross k,v on encoder rows 2·24 = 48, wi 32, wo 32 → 208.
        // Attention 4·B·H·Tq·Tk·dh: encoder 4·3·3·2 = 72; decoder self 4·2·2·2 = 32, cross 4·2·3·2 = 48 → 152.
        // Head 2·2·2·3 = 24. Step: 2·(192 + 208) + 3·152 + 2·24 = 1304.
        var (linear, attention, head) = FlopCounter.Forward(Tiny, batch: 1, encoderLength: 3, targetLength: 2);

        Assert.Multiple(() =>
        {
            Assert.That(linear, Is.EqualTo(400));
            Assert.That(attention, Is.EqualTo(152));
            Assert.That(head, Is.EqualTo(24));
            Assert.That(FlopCounter.TrainingStep(Tiny, 1, 3, 2), Is.EqualTo(1304));
        });
    }

    [Test]
    public void GatedFeedForward_CountsTheSecondInputProjection()
    {
        // wi is (2·d_ff, d) gated: one more 2·3·2·4 = 48 in the encoder and 2·2·2·4 = 32 in the decoder, doubled by the backward.
        var gated = Tiny with { FeedForwardProj = "gated-gelu" };

        Assert.That(FlopCounter.TrainingStep(gated, 1, 3, 2), Is.EqualTo(1304 + 2 * (48 + 32)));
    }

    [Test]
    public void Batch_ScalesEveryTermLinearly()
    {
        int batch = TestContext.CurrentContext.Random.Next(2, 64);

        Assert.That(FlopCounter.TrainingStep(Tiny, batch, 3, 2), Is.EqualTo(batch * 1304));
    }

    [Test]
    public void T5BasePtStep_IsPinned()
    {
        // T5-Base, PT L = 100, B 32, s 256, target 8: 5.10 TFLOP (README.md quotes it).
        var step = FlopCounter.TrainingStep(ModelShapes.Find("t5-base"), 32, 100 + 256, 8);

        Assert.That(step, Is.EqualTo(5_100_904_906_752d));
    }

    /// <summary>The same formula written independently in benchmarks/peft_baseline.py (its --plan output, 4 decimals).</summary>
    [TestCase("t5-base", 256, 3.6131)]
    [TestCase("t5-base", 316, 4.4973)]
    [TestCase("t5-large", 356, 17.6726)]
    [TestCase("t5-large", 316, 15.6120)]
    public void Steps_AgreeWithThePyTorchScriptsCount(string model, int encoderLength, double teraflop)
    {
        Assert.That(FlopCounter.TrainingStep(ModelShapes.Find(model), 32, encoderLength, 8) / 1e12, Is.EqualTo(teraflop).Within(5e-5));
    }

    [Test]
    public void DeptStep_IsCheaperThanPtByItsShorterEncoder()
    {
        var model = ModelShapes.Find("t5-large");
        double pt = FlopCounter.TrainingStep(model, 32, 100 + 256, 8);
        double dept = FlopCounter.TrainingStep(model, 32, 60 + 256, 8);

        // Encoder work falls with its rows, its attention with their square, the decoder's stays: a little below 316/356.
        Assert.That(dept / pt, Is.LessThan(316.0 / 356).And.GreaterThan(0.8));
    }

    [Test]
    public void MeanTrainingStep_AveragesOverBatchLengths()
    {
        var random = TestContext.CurrentContext.Random;
        int[] lengths = [.. Enumerable.Range(0, 5).Select(_ => random.Next(128, 257))];
        var model = ModelShapes.Find("t5-small");

        double mean = FlopCounter.MeanTrainingStep(model, 8, 60, lengths, 8);

        Assert.That(mean, Is.EqualTo(lengths.Average(l => FlopCounter.TrainingStep(model, 8, 60 + l, 8))).Within(1e-9).Percent);
        Assert.Throws<ArgumentException>(() => FlopCounter.MeanTrainingStep(model, 8, 60, [], 8));
    }
}
