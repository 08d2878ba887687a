using DePT.Data;

namespace DePT.Tests.Data;

/// <summary>Batches: dynamic padding, truncation to the maximum length with a count, labels as head indices.</summary>
public class ExampleBatcherTests
{
    private static Example Row(string input, string? target = null, string? label = null, int line = 1) =>
        new(input, target, label, "t.jsonl", line);

    [Test]
    public void PadsToTheLongestRowAndCountsTruncatedInputsAndTargets()
    {
        var batcher = new ExampleBatcher(new WordCountTokenizer(), maxInputLength: 4, maxTargetLength: 3);
        Example[] batch =
        [
            Row("a bb", "yes"),                  // 3 ids: fits
            Row("a bb ccc", "no no"),            // 4 ids: fits exactly, target 3 ids fits exactly
            Row("a bb ccc dddd eeeee", "x y z"), // 6 ids: cut to 4; target 4 ids: cut to 3
        ];

        var encoded = batcher.Encode(batch);

        Assert.That(encoded.Inputs.SequenceLength, Is.EqualTo(4));
        Assert.That(encoded.Inputs.InputIds, Is.EqualTo(new[] { 11, 12, 1, 0, 11, 12, 13, 1, 11, 12, 13, 1 }));
        Assert.That(encoded.Inputs.AttentionMask, Is.EqualTo(new[] { 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1 }));
        Assert.That(encoded.TruncatedInputs, Is.EqualTo(1));
        Assert.That(encoded.Targets!.Lengths, Is.EqualTo(new[] { 2, 3, 3 }));
        Assert.That(encoded.TruncatedTargets, Is.EqualTo(1));
        Assert.That(encoded.Labels, Is.Null);

        batcher.Encode([Row("one two three four five", "t")]);
        Assert.That(batcher.TotalTruncatedInputs, Is.EqualTo(2));
        Assert.That(batcher.TotalTruncatedTargets, Is.EqualTo(1));
    }

    [Test]
    public void ShortBatchIsPaddedOnlyToItsOwnLongestRow()
    {
        var batcher = new ExampleBatcher(new WordCountTokenizer(), 64, 8);

        var encoded = batcher.Encode([Row("a", "t"), Row("a b", "t")]);

        Assert.That(encoded.Inputs.SequenceLength, Is.EqualTo(3));
        Assert.That(encoded.TruncatedInputs, Is.Zero);
    }

    [Test]
    public void ClassificationBatchCarriesLabelIndicesFromTheLabelSet()
    {
        var labels = new LabelSet(["negative", "neutral", "positive"]);
        var batcher = new ExampleBatcher(new WordCountTokenizer(), 8, 2, labels);
        var examples = DataFixtures.RandomExamples(12, 40, "positive", "negative", "neutral");
        var order = new EpochOrder(examples.Length, 3);
        var indices = order.NextBatch(5);

        var encoded = batcher.Encode(examples, indices);

        Assert.That(encoded.Targets, Is.Null);
        Assert.That(encoded.Labels, Is.EqualTo(indices.Select(i => labels.Labels.ToList().IndexOf(examples[i].Label!))));
        Assert.That(encoded.Inputs.BatchSize, Is.EqualTo(5));
    }

    [Test]
    public void UnknownLabelInABatchNamesTheRow()
    {
        var batcher = new ExampleBatcher(new WordCountTokenizer(), 8, 2, new LabelSet(["0", "1"]));

        var error = Assert.Throws<DatasetFormatException>(() => batcher.Encode([Row("a", label: "1"), Row("b", label: "2", line: 17)]));

        Assert.That(error!.Message, Does.StartWith("t.jsonl:17: unknown label \"2\""));
    }
}
