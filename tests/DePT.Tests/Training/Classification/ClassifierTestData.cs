using DePT.Tokenizers;

namespace DePT.Tests.Training.Classification;

/// <summary>
/// A toy separable task for the tiny BERT fixture (vocabulary 96): rows of random ids from [Low, 96) with some
/// right padding; label 1 when the row holds <see cref="Marker"/>, else 0. Half the rows get the marker.
/// </summary>
internal static class ClassifierTestData
{
    public const int Marker = 4, Low = 5, Vocabulary = 96;

    public static (TokenBatch Inputs, int[] Labels) Batch(int batch, int length) => Batch(batch, length, TestContext.CurrentContext.Random);

    /// <summary>A batch drawn from <paramref name="random"/>.</summary>
    public static (TokenBatch Inputs, int[] Labels) Batch(int batch, int length, Random random)
    {
        var ids = new int[batch * length];
        var mask = new int[batch * length];
        var lengths = new int[batch];
        var labels = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            lengths[b] = random.Next(length - 2, length + 1);   // up to two padding positions
            var row = Enumerable.Range(0, lengths[b]).Select(_ => random.Next(Low, Vocabulary)).ToArray();
            labels[b] = b % 2;
            if (labels[b] == 1) row[random.Next(0, lengths[b])] = Marker;
            row.CopyTo(ids, b * length);
            mask.AsSpan(b * length, lengths[b]).Fill(1);
        }
        return (new TokenBatch(batch, length, ids, mask, lengths), labels);
    }
}
