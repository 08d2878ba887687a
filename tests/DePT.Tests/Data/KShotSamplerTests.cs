using DePT.Data;

namespace DePT.Tests.Data;

/// <summary>k-shot subsets: k of every class, drawn from the pool, the same for the same seed.</summary>
public class KShotSamplerTests
{
    [TestCase(1)]
    [TestCase(4)]
    [TestCase(16)]
    public void EveryClassGetsExactlyK(int k)
    {
        var pool = DataFixtures.RandomExamples(400, 20 + k, "neg", "neu", "pos");

        var sample = KShotSampler.Sample(pool, k, seed: 5);

        Assert.That(sample, Has.Count.EqualTo(3 * k));
        Assert.That(sample.GroupBy(e => e.Label).ToDictionary(g => g.Key!, g => g.Count()),
            Is.EquivalentTo(new Dictionary<string, int> { ["neg"] = k, ["neu"] = k, ["pos"] = k }));
        Assert.That(sample.Distinct().Count(), Is.EqualTo(3 * k), "no example drawn twice");
        Assert.That(pool, Is.SupersetOf(sample));
    }

    [Test]
    public void TextToTextBalancesOverTargets()
    {
        var pool = Enumerable.Range(0, 60).Select(i => new Example($"q{i}", i % 2 == 0 ? "yes" : "no", null, "f", i + 1)).ToArray();

        var sample = KShotSampler.Sample(pool, 5, seed: 1);

        Assert.That(sample.Count(e => e.Target == "yes"), Is.EqualTo(5));
        Assert.That(sample.Count(e => e.Target == "no"), Is.EqualTo(5));
    }

    [Test]
    public void SameSeedSameSample_OtherSeedOtherSample()
    {
        var pool = DataFixtures.RandomExamples(500, 30, "a", "b");

        var first = KShotSampler.Sample(pool, 8, seed: 12);
        var again = KShotSampler.Sample(pool, 8, seed: 12);
        var other = KShotSampler.Sample(pool, 8, seed: 13);

        Assert.That(again, Is.EqualTo(first));
        Assert.That(other, Is.Not.EquivalentTo(first));
    }

    [Test]
    public void ClassWithTooFewExamplesIsNamed()
    {
        var pool = DataFixtures.RandomExamples(50, 31, "common").Append(new Example("x", null, "rare", "f", 99)).ToArray();

        var error = Assert.Throws<ArgumentException>(() => KShotSampler.Sample(pool, 2, seed: 0));

        Assert.That(error!.Message, Does.Contain("\"rare\" has 1 examples"));
    }
}
