namespace DePT.Data;

/// <summary>Class-balanced, seeded k-shot subsets for few-shot runs.</summary>
public static class KShotSampler
{
    /// <summary>Picks <paramref name="shotsPerClass"/> examples of each class (<see cref="Example.ClassKey"/>:
    /// the label, else the target text), classes in order of first appearance, the result shuffled.</summary>
    /// <param name="examples">The pool.</param>
    /// <param name="shotsPerClass">k.</param>
    /// <param name="seed">The same seed gives the same subset.</param>
    /// <exception cref="ArgumentException">A class has fewer than k examples.</exception>
    public static IReadOnlyList<Example> Sample(IReadOnlyList<Example> examples, int shotsPerClass, int seed)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shotsPerClass);
        var byClass = new Dictionary<string, List<Example>>(StringComparer.Ordinal);
        var classOrder = new List<string>();
        foreach (var example in examples)
        {
            if (!byClass.TryGetValue(example.ClassKey, out var members))
            {
                byClass[example.ClassKey] = members = [];
                classOrder.Add(example.ClassKey);
            }
            members.Add(example);
        }
        var picked = new List<Example>(classOrder.Count * shotsPerClass);
        for (int c = 0; c < classOrder.Count; c++)
        {
            var members = byClass[classOrder[c]];
            if (members.Count < shotsPerClass)
                throw new ArgumentException(
                    $"Class \"{classOrder[c]}\" has {members.Count} examples, fewer than the {shotsPerClass} shots asked for.", nameof(shotsPerClass));
            // Each class gets its own stream so adding a class elsewhere does not change this one's picks;
            // a fixed mix, not HashCode, which is randomised per process.
            var order = SeededShuffle.Permutation(members.Count, unchecked(seed * 1_000_003 + c));
            for (int i = 0; i < shotsPerClass; i++)
                picked.Add(members[order[i]]);
        }
        return SeededShuffle.Shuffled(picked, seed);
    }
}
