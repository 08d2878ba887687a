using DePT.Data;

namespace DePT.Tests.Data;

/// <summary>Random labelled examples for split, sampling and batching tests.</summary>
internal static class DataFixtures
{
    public static Example[] RandomExamples(int count, int seed, params string[] labels)
    {
        var random = new Random(seed);
        var examples = new Example[count];
        for (int i = 0; i < count; i++)
        {
            string input = $"row {i} {random.Next(1_000_000)}";
            string? label = labels.Length > 0 ? labels[random.Next(labels.Length)] : null;
            examples[i] = new Example(input, label is null ? $"target {random.Next(100)}" : null, label, "fixture.jsonl", i + 1);
        }
        return examples;
    }
}
