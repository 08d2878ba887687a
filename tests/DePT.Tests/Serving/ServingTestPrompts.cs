using DePT.Backends;
using DePT.Prompts;
using DePT.Tests.Models;
using NUnit.Framework.Internal;

namespace DePT.Tests.Serving;

/// <summary>The prompts the serving tests mix: DePT of two s and two m, and vanilla PT, all with random values of a fixed draw (B too, so Δ matters).</summary>
internal static class ServingTestPrompts
{
    // A fixed draw: a batched and a single-example run sum in other orders, so a greedy choice or an argmax between two
    // nearly equal logits can flip between them; a fresh draw would hit such a near-tie now and then and fail a test
    // whose point is the batching, not the tie. This draw has no near-ties.
    public static Randomizer Draw(int stream) => new(20261129 + stream);

    /// <summary>name → prompt: "dept-a" m=3 s=10 r=2, "dept-b" m=3 s=6 r=3, "pt" m=3, "dept-short" m=2 s=10 r=2.</summary>
    public static Dictionary<string, SoftPrompt> Make(IBackend backend, int dim)
    {
        var random = Draw(1);
        var prompts = new Dictionary<string, SoftPrompt>
        {
            ["dept-a"] = new DecomposedPrompt(backend, 3, dim, maxLength: 10, rank: 2, lowRankSeed: random.NextULong()),
            ["dept-b"] = new DecomposedPrompt(backend, 3, dim, maxLength: 6, rank: 3, lowRankSeed: random.NextULong(), alpha: null),
            ["pt"] = new PromptTuning(backend, 3, dim),
            ["dept-short"] = new DecomposedPrompt(backend, 2, dim, maxLength: 10, rank: 2, lowRankSeed: random.NextULong()),
        };
        foreach (var prompt in prompts.Values)
        {
            prompt.InitializeRandom(random.NextULong(), range: 2f);
            if (prompt is DecomposedPrompt dept) dept.LowRankB.CopyFrom(ModelTestData.Normal((int)dept.LowRankB.Length, 0.5, random));
        }
        return prompts;
    }

    /// <summary>
    /// Every name <paramref name="perName"/> times in a shuffled order, each with a text of 2 to 11 random ids from
    /// [5, 96) (longer than s=6 at times, so truncation is exercised).
    /// </summary>
    public static List<(string PromptName, string Text)> Requests(IReadOnlyList<string> names, int perName)
    {
        var random = Draw(2);
        var requests = new List<(string PromptName, string Text)>();
        foreach (string name in names)
            for (int i = 0; i < perName; i++)
                requests.Add((name, string.Join(' ', Enumerable.Range(0, random.Next(2, 12)).Select(_ => random.Next(5, 96)))));
        return [.. requests.OrderBy(_ => random.Next())];
    }

    /// <summary>The most input tokens a prompt takes (s for DePT, else the cap).</summary>
    public static int Limit(SoftPrompt prompt, int cap) => prompt is DecomposedPrompt dept ? Math.Min(dept.MaxLength, cap) : cap;
}
