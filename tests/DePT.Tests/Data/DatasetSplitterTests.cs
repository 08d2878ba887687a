using DePT.Data;

namespace DePT.Tests.Data;

/// <summary>Splits as the DePT paper makes them: sizes, disjointness and determinism.</summary>
public class DatasetSplitterTests
{
    [Test]
    public void SmallTrainingSet_HalvesValidationIntoValidationAndTest()
    {
        var train = DataFixtures.RandomExamples(500, 1, "a", "b");
        var validation = DataFixtures.RandomExamples(101, 2, "a", "b");

        var splits = DatasetSplitter.Split(train, validation, new DatasetSplitOptions { Seed = 7 });

        Assert.That(splits.Train, Is.SameAs(train));
        Assert.That(splits.Validation, Has.Count.EqualTo(50));
        Assert.That(splits.Test, Has.Count.EqualTo(51));
        Assert.That(splits.Validation.Concat(splits.Test), Is.EquivalentTo(validation));
        Assert.That(splits.Validation, Is.Not.EqualTo(validation.Take(50)), "the validation rows are shuffled before halving");
    }

    [Test]
    public void LargeTrainingSet_HoldsOutTrainingRowsAndTestsOnTheOriginalValidation()
    {
        var train = DataFixtures.RandomExamples(1_200, 3, "a", "b");
        var validation = DataFixtures.RandomExamples(80, 4, "a", "b");
        var options = new DatasetSplitOptions { SmallDatasetThreshold = 1_000, HeldOutValidationRows = 150, Seed = 11 };

        var splits = DatasetSplitter.Split(train, validation, options);

        Assert.That(splits.Train, Has.Count.EqualTo(1_050));
        Assert.That(splits.Validation, Has.Count.EqualTo(150));
        Assert.That(splits.Test, Is.SameAs(validation));
        Assert.That(splits.Train.Concat(splits.Validation), Is.EquivalentTo(train));
    }

    [Test]
    public void ThresholdIsExclusive_DefaultTenThousand()
    {
        var validation = DataFixtures.RandomExamples(10, 5, "a");

        var atThreshold = DatasetSplitter.Split(DataFixtures.RandomExamples(10_000, 6, "a"), validation);
        var below = DatasetSplitter.Split(DataFixtures.RandomExamples(9_999, 6, "a"), validation);

        Assert.That(atThreshold.Validation, Has.Count.EqualTo(1_000), "10,000 rows is large: 1,000 held out");
        Assert.That(below.Validation, Has.Count.EqualTo(5), "9,999 rows is small: validation halved");
    }

    [Test]
    public void SameSeedSameSplits_OtherSeedOtherSplits()
    {
        var train = DataFixtures.RandomExamples(300, 8, "a", "b");
        var validation = DataFixtures.RandomExamples(60, 9, "a", "b");
        var options = new DatasetSplitOptions { SmallDatasetThreshold = 100, HeldOutValidationRows = 40, Seed = 3 };

        var first = DatasetSplitter.Split(train, validation, options);
        var second = DatasetSplitter.Split(train, validation, options);
        var reseeded = DatasetSplitter.Split(train, validation, options with { Seed = 4 });

        Assert.That(second.Train, Is.EqualTo(first.Train));
        Assert.That(second.Validation, Is.EqualTo(first.Validation));
        Assert.That(reseeded.Validation, Is.Not.EqualTo(first.Validation));
    }

    [Test]
    public void SplitsThatWouldBeEmptyAreRejected()
    {
        var one = DataFixtures.RandomExamples(1, 10, "a");
        Assert.Throws<ArgumentException>(() => DatasetSplitter.Split(one, one));
        Assert.Throws<ArgumentException>(() => DatasetSplitter.Split([], one));
        Assert.Throws<ArgumentException>(() => DatasetSplitter.Split(DataFixtures.RandomExamples(20, 11, "a"), one,
            new DatasetSplitOptions { SmallDatasetThreshold = 10, HeldOutValidationRows = 20 }));
    }
}
