namespace DePT.Data;

/// <summary>Fisher–Yates permutations from a seeded <see cref="Random"/>, whose sequence for a given seed is
/// fixed across .NET versions, so splits and epoch orders are reproducible.</summary>
internal static class SeededShuffle
{
    public static int[] Permutation(int count, int seed)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++)
            order[i] = i;
        var random = new Random(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    public static Example[] Shuffled(IReadOnlyList<Example> examples, int seed)
    {
        var order = Permutation(examples.Count, seed);
        var shuffled = new Example[order.Length];
        for (int i = 0; i < order.Length; i++)
            shuffled[i] = examples[order[i]];
        return shuffled;
    }
}
