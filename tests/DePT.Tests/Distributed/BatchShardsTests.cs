using DePT.Data;
using DePT.Distributed;
using DePT.Tokenizers;

namespace DePT.Tests.Distributed;

public class BatchShardsTests
{
    [TestCase(64, 2)]
    [TestCase(7, 2)]
    [TestCase(10, 4)]
    [TestCase(2, 3)]
    [TestCase(0, 2)]
    public void Bounds_AreContiguous_CoverEveryRow_AndDifferByAtMostOne(int rows, int ranks)
    {
        var bounds = BatchShards.Bounds(rows, ranks);

        Assert.That(bounds, Has.Length.EqualTo(ranks));
        int next = 0;
        foreach (var (start, count) in bounds)
        {
            Assert.That(start, Is.EqualTo(next));
            next += count;
        }
        Assert.That(next, Is.EqualTo(rows));
        Assert.That(bounds.Max(b => b.Count) - bounds.Min(b => b.Count), Is.LessThanOrEqualTo(1));
        Assert.That(bounds.Select(b => b.Count), Is.Ordered.Descending, "the larger shards come first");
    }

    [Test]
    public void Slice_KeepsTheRowsAndTheWholeBatchsPadding()
    {
        var inputs = TokenBatch.RightPadded([[5, 6, 7], [8], [9, 10], [11, 12, 13]], paddingId: 0);
        var targets = TokenBatch.RightPadded([[1], [2, 3], [4], [5]], paddingId: 0);
        var batch = new EncodedBatch(inputs, targets, [0, 1, 1, 0], TruncatedInputs: 2, TruncatedTargets: 1);

        var shard = BatchShards.Slice(batch, 1, 2);

        Assert.Multiple(() =>
        {
            Assert.That(shard.Inputs.BatchSize, Is.EqualTo(2));
            Assert.That(shard.Inputs.SequenceLength, Is.EqualTo(3));
            Assert.That(shard.Inputs.InputIds, Is.EqualTo(new[] { 8, 0, 0, 9, 10, 0 }));
            Assert.That(shard.Inputs.AttentionMask, Is.EqualTo(new[] { 1, 0, 0, 1, 1, 0 }));
            Assert.That(shard.Inputs.Lengths, Is.EqualTo(new[] { 1, 2 }));
            Assert.That(shard.Targets!.InputIds, Is.EqualTo(new[] { 2, 3, 4, 0 }));
            Assert.That(shard.Labels, Is.EqualTo(new[] { 1, 1 }));
            Assert.That(shard.TruncatedInputs + shard.TruncatedTargets, Is.Zero, "truncation is counted on the whole batch");
        });
        Assert.That(() => BatchShards.Slice(batch, 3, 2), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
