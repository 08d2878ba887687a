using System.Text.Json;

namespace DePT.Tests.Tokenizers;

/// <summary>
/// tests/DePT.Tests/Fixtures/tokenizer/t5: spiece.model and expected.json made by
/// tools/reference/make_tokenizer_fixture.py with sentencepiece and transformers. Found by walking up from the
/// test binaries to the folder that holds DePT.sln, so it is read in place, not copied.
/// </summary>
internal sealed class T5TokenizerFixture
{
    public const string Format = "dept-tokenizer-fixture";
    public const int Version = 1;
    private const string RelativeFolder = "tests/DePT.Tests/Fixtures/tokenizer/t5";

    private T5TokenizerFixture(string folder, JsonElement root)
    {
        Folder = folder;
        Root = root;
    }

    public string Folder { get; }
    public JsonElement Root { get; }
    public string ModelPath => Path.Combine(Folder, "spiece.model");

    /// <summary>Loads the fixture, or ignores the calling test with what to run when it has not been generated.</summary>
    public static T5TokenizerFixture LoadOrIgnore()
    {
        string? repository = FindRepositoryRoot();
        if (repository is null)
            Assert.Ignore($"Tokenizer fixture: no DePT.sln above {TestContext.CurrentContext.TestDirectory}, so {RelativeFolder} cannot be found.");
        string folder = Path.Combine(repository!, RelativeFolder);
        string expectedPath = Path.Combine(folder, "expected.json");
        if (!File.Exists(expectedPath) || !File.Exists(Path.Combine(folder, "spiece.model")))
            Assert.Ignore($"Tokenizer fixture not generated: {folder} lacks spiece.model or expected.json. Run " +
                          "`python3 tools/reference/make_tokenizer_fixture.py` where sentencepiece and transformers are installed " +
                          "(the GPU machine), then commit the folder.");
        JsonElement root = JsonDocument.Parse(File.ReadAllBytes(expectedPath)).RootElement;
        Assert.That(root.GetProperty("format").GetString(), Is.EqualTo(Format), expectedPath);
        Assert.That(root.GetProperty("version").GetInt32(), Is.EqualTo(Version), expectedPath);
        return new T5TokenizerFixture(folder, root);
    }

    public IEnumerable<JsonElement> Cases => Root.GetProperty("cases").EnumerateArray();

    /// <summary>The labels of the transformers tokenizers that were built ("T5Tokenizer", "T5TokenizerFast", ...).</summary>
    public IEnumerable<string> TransformersLabels => Root.GetProperty("hf_tokenizers").EnumerateObject().Select(p => p.Name);

    public static int[] Ids(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DePT.sln")))
                return dir.FullName;
        }
        return null;
    }
}
