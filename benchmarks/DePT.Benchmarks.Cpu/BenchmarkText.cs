namespace DePT.Benchmarks.Cpu;

/// <summary>Sentences for tokenizer benchmarks: made from fixed word lists with a fixed seed, so every run encodes the same text.</summary>
internal static class BenchmarkText
{
    private static readonly string[] s_words =
    [
        "the", "model", "prompt", "was", "trained", "on", "reviews", "and", "it", "reads", "every", "sentence", "with", "care", "but",
        "some", "words", "are", "rarer", "than", "others", "like", "decomposition", "embeddings", "throughput", "benchmarking", "Zürich",
        "naïve", "co-operation", "2026", "GPU", "memory", "latency", "isn't", "we're", "tokenizers", "subword", "units", "split", "unusual",
        "spellings", "into", "pieces", "while", "common", "ones", "stay", "whole", "a", "of", "to", "in", "is", "that", "for", "this",
    ];

    /// <summary><paramref name="count"/> sentences of 8 to 40 words ending in a full stop.</summary>
    public static string[] Sentences(int count, int seed = 1)
    {
        var random = new Random(seed);
        var sentences = new string[count];
        for (int i = 0; i < count; i++)
        {
            int length = random.Next(8, 41);
            var words = new string[length];
            for (int w = 0; w < length; w++) words[w] = s_words[random.Next(s_words.Length)];
            words[0] = char.ToUpperInvariant(words[0][0]) + words[0][1..];
            sentences[i] = string.Join(' ', words) + ".";
        }
        return sentences;
    }

    /// <summary>Uniform random floats in [-1, 1) from a fixed seed.</summary>
    public static float[] Floats(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = random.NextSingle() * 2 - 1;
        return values;
    }
}
