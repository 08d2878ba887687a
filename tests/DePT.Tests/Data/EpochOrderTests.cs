using DePT.Data;

namespace DePT.Tests.Data;

/// <summary>Epoch orders: each epoch a permutation, fresh each epoch, and resumable from a saved state.</summary>
public class EpochOrderTests
{
    [Test]
    public void EachEpochVisitsEveryExampleOnceInANewOrder()
    {
        var order = new EpochOrder(count: 23, seed: 9);

        var epoch0 = Enumerable.Range(0, 3).SelectMany(_ => order.NextBatch(8)).ToArray();
        Assert.That(order.Epoch, Is.EqualTo(0));
        var epoch1 = Enumerable.Range(0, 3).SelectMany(_ => order.NextBatch(8)).ToArray();

        Assert.That(epoch0, Is.EquivalentTo(Enumerable.Range(0, 23)));
        Assert.That(epoch1, Is.EquivalentTo(Enumerable.Range(0, 23)));
        Assert.That(epoch1, Is.Not.EqualTo(epoch0));
        Assert.That(order.Epoch, Is.EqualTo(1));
        Assert.That(epoch0, Is.Not.EqualTo(Enumerable.Range(0, 23)), "shuffled, not in file order");
    }

    [Test]
    public void LastBatchOfAnEpochIsShortNeverSpanningEpochs()
    {
        var order = new EpochOrder(10, 1);

        var sizes = Enumerable.Range(0, 4).Select(_ => order.NextBatch(4).Length).ToArray();

        Assert.That(sizes, Is.EqualTo(new[] { 4, 4, 2, 4 }));
    }

    [Test]
    public void RestoredOrderContinuesWithTheSameBatches()
    {
        var uninterrupted = new EpochOrder(37, 2024);
        var interrupted = new EpochOrder(37, 2024);
        var expected = Enumerable.Range(0, 20).Select(_ => uninterrupted.NextBatch(5)).ToArray();

        var before = Enumerable.Range(0, 9).Select(_ => interrupted.NextBatch(5)).ToList();
        var saved = interrupted.State;
        var resumed = EpochOrder.Restore(saved with { });
        before.AddRange(Enumerable.Range(0, 11).Select(_ => resumed.NextBatch(5)));

        Assert.That(saved, Is.EqualTo(new EpochOrderState(37, 2024, 1, 5)), "epoch 0 is 7 batches of 5 and one of 2");
        Assert.That(before, Is.EqualTo(expected));
    }

    [Test]
    public void StateAtTheEndOfAnEpochRestores()
    {
        var order = new EpochOrder(6, 3);
        order.NextBatch(6);
        var copy = EpochOrder.Restore(order.State);

        Assert.That(copy.NextBatch(6), Is.EqualTo(order.NextBatch(6)));
        Assert.That(copy.Epoch, Is.EqualTo(1));
    }

    [Test]
    public void InvalidStatesAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EpochOrder.Restore(new EpochOrderState(5, 1, 0, 6)));
        Assert.Throws<ArgumentOutOfRangeException>(() => EpochOrder.Restore(new EpochOrderState(0, 1, 0, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => EpochOrder.Restore(new EpochOrderState(5, 1, -1, 0)));
    }
}
