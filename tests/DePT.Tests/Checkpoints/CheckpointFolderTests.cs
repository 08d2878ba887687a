using System.Text.Json.Nodes;
using DePT.Checkpoints;
using DePT.Metrics;

namespace DePT.Tests.Checkpoints;

/// <summary>
/// Checkpoint folders: Write replaces a folder as a whole and leaves no staging or .old folder; a crash between the two
/// renames (only name.old left) is found by Locate; a failing writer leaves the old folder as it was; checkpoint.json
/// round-trips and refuses a newer format or an unknown metric.
/// </summary>
public class CheckpointFolderTests
{
    private string _root = "";
    private string _path = "";

    [SetUp]
    public void SetUp()
    {
        _root = Directory.CreateTempSubdirectory("dept-checkpoint-").FullName;
        _path = Path.Combine(_root, "last");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    private static Action<string> Files(params (string Name, string Text)[] files) => folder =>
    {
        Assert.That(Directory.EnumerateFileSystemEntries(folder), Is.Empty, "the writer gets an empty folder");
        foreach (var (name, text) in files) File.WriteAllText(Path.Combine(folder, name), text);
    };

    private static CheckpointInfo Info(int step, double accuracy) => new(step, new Dictionary<MetricKind, double> { [MetricKind.Accuracy] = accuracy, [MetricKind.TokenF1] = 0.125 });

    private string[] RootEntries() => Directory.GetFileSystemEntries(_root).Select(Path.GetFileName).ToArray()!;

    [Test]
    public void Write_ReplacesTheWholeFolder_AndLeavesNothingBeside()
    {
        CheckpointFolder.Write(_path, Files(("a.txt", "first"), ("old-only.txt", "x")), null, Info(3, 0.5));
        Assert.That(CheckpointFolder.ReadInfo(_path).Step, Is.EqualTo(3));

        CheckpointFolder.Write(_path, Files(("a.txt", "second")), null, Info(7, 0.75));

        Assert.That(Directory.GetFiles(_path).Select(Path.GetFileName), Is.EquivalentTo(new[] { "a.txt", CheckpointFolder.InfoFileName }), "no file of the old folder survives");
        Assert.That(File.ReadAllText(Path.Combine(_path, "a.txt")), Is.EqualTo("second"));
        var info = CheckpointFolder.ReadInfo(_path);
        Assert.That(info.Step, Is.EqualTo(7));
        Assert.That(info.Metrics, Is.EquivalentTo(Info(7, 0.75).Metrics));
        Assert.That(RootEntries(), Is.EqualTo(new[] { "last" }), "no staging or .old folder is left");
        Assert.That(CheckpointFolder.Locate(_path), Is.EqualTo(Path.GetFullPath(_path)));
    }

    [Test]
    public void ACrashBetweenTheRenames_LeavesNameOld_WhichLocateFinds_AndTheNextWriteCleansUp()
    {
        CheckpointFolder.Write(_path, Files(("a.txt", "kept")), null, Info(4, 0.5));
        Directory.Move(_path, _path + ".old");   // the old folder moved aside, the new one not yet in place

        string? found = CheckpointFolder.Locate(_path);
        Assert.That(found, Is.EqualTo(Path.GetFullPath(_path) + ".old"));
        Assert.That(CheckpointFolder.ReadInfo(found!).Step, Is.EqualTo(4));
        Assert.That(File.ReadAllText(Path.Combine(found!, "a.txt")), Is.EqualTo("kept"));

        CheckpointFolder.Write(_path, Files(("a.txt", "new")), null, Info(5, 0.5));
        Assert.That(CheckpointFolder.Locate(_path), Is.EqualTo(Path.GetFullPath(_path)));
        Assert.That(RootEntries(), Is.EqualTo(new[] { "last" }));
    }

    [Test]
    public void AfterACrashLeftOnlyNameOld_ItIsKeptUntilTheNewFolderIsInPlace()
    {
        CheckpointFolder.Write(_path, Files(("a.txt", "kept")), null, Info(4, 0.5));
        Directory.Move(_path, _path + ".old");
        File.WriteAllText(_path, "a file where the folder goes");   // the final rename fails

        Assert.That(() => CheckpointFolder.Write(_path, Files(("a.txt", "new")), null, Info(5, 0.5)), Throws.InstanceOf<IOException>());

        Assert.That(CheckpointFolder.Locate(_path), Is.EqualTo(Path.GetFullPath(_path) + ".old"), "the only complete checkpoint survives a failed swap");
        Assert.That(CheckpointFolder.ReadInfo(_path + ".old").Step, Is.EqualTo(4));
    }

    [Test]
    public void Locate_PrefersTheFolder_AndIgnoresOnesWithoutCheckpointJson()
    {
        Assert.That(CheckpointFolder.Locate(_path), Is.Null);
        Directory.CreateDirectory(_path);   // an empty folder (a crash before anything was written) is no checkpoint
        Assert.That(CheckpointFolder.Locate(_path), Is.Null);
        Assert.That(() => CheckpointFolder.ReadInfo(_path), Throws.TypeOf<FileNotFoundException>().With.Message.Contains(CheckpointFolder.InfoFileName));

        CheckpointFolder.Write(_path + ".old", Files(), null, Info(1, 0.1));
        CheckpointFolder.Write(_path, Files(), null, Info(2, 0.2));
        Assert.That(CheckpointFolder.Locate(_path), Is.EqualTo(Path.GetFullPath(_path)));
    }

    [Test]
    public void AFailingWriter_LeavesTheOldFolderIntact_AndNoStagingFolder()
    {
        CheckpointFolder.Write(_path, Files(("a.txt", "good")), null, Info(2, 0.5));
        var before = Directory.GetFiles(_path).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

        var ex = Assert.Throws<IOException>(() => CheckpointFolder.Write(_path, folder =>
        {
            File.WriteAllText(Path.Combine(folder, "a.txt"), "half");
            throw new IOException("disk full");
        }, null, Info(3, 0.9)))!;

        Assert.That(ex.Message, Is.EqualTo("disk full"));
        Assert.That(Directory.GetFiles(_path).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes), Is.EquivalentTo(before));
        Assert.That(RootEntries(), Is.EqualTo(new[] { "last" }), "the staging folder is removed");
    }

    [Test]
    public void AStagingFolderLeftByACrash_IsReplaced()
    {
        Directory.CreateDirectory(_path + ".staging");
        File.WriteAllText(Path.Combine(_path + ".staging", "junk.txt"), "from a crashed write");
        CheckpointFolder.Write(_path, Files(("a.txt", "x")), null, Info(1, 0.5));
        Assert.That(Directory.GetFiles(_path).Select(Path.GetFileName), Is.EquivalentTo(new[] { "a.txt", CheckpointFolder.InfoFileName }));
        Assert.That(RootEntries(), Is.EqualTo(new[] { "last" }));
    }

    [Test]
    public void CheckpointJson_WritesFiniteMetricsByFileName_AndRefusesNewerOrUnknown()
    {
        var metrics = new Dictionary<MetricKind, double> { [MetricKind.MatthewsCorrelation] = -0.25, [MetricKind.Pearson] = double.NaN };
        CheckpointFolder.Write(_path, Files(), null, new CheckpointInfo(12, metrics));
        string infoPath = Path.Combine(_path, CheckpointFolder.InfoFileName);
        var json = JsonNode.Parse(File.ReadAllText(infoPath))!;
        Assert.That((int)json["format_version"]!, Is.EqualTo(CheckpointFolder.FormatVersion));
        Assert.That((int)json["step"]!, Is.EqualTo(12));
        Assert.That(json["metrics"]!.AsObject().Select(p => (p.Key, (double)p.Value!)), Is.EqualTo(new[] { ("matthews_correlation", -0.25) }), "a NaN metric is left out");

        json["metrics"]!["perplexity"] = 3.0;
        File.WriteAllText(infoPath, json.ToJsonString());
        Assert.That(() => CheckpointFolder.ReadInfo(_path), Throws.TypeOf<CheckpointFormatException>().With.Message.Contains("perplexity"));

        json["metrics"]!.AsObject().Remove("perplexity");
        json["format_version"] = CheckpointFolder.FormatVersion + 1;
        File.WriteAllText(infoPath, json.ToJsonString());
        Assert.That(() => CheckpointFolder.ReadInfo(_path), Throws.TypeOf<CheckpointFormatException>().With.Message.Contains("newer").And.Message.Contains(infoPath));

        File.WriteAllText(infoPath, "{ not json");
        Assert.That(() => CheckpointFolder.ReadInfo(_path), Throws.TypeOf<CheckpointFormatException>().With.Message.Contains("not valid JSON"));
    }
}
