using System.Text;
using DePT.Models.MiniLm;

namespace DePT.Tests.MiniLm;

public class MiniLmPackageTests
{
    [Test]
    public void Load_FindsTheDllThatTheBuildCopiedNextToTheApp()
    {
        MiniLmPackage package = MiniLmAssets.Package;

        Assert.That(package.AssemblyPath, Is.EqualTo(Path.Combine(AppContext.BaseDirectory, MiniLmPackage.AssemblyFileName)));
        Assert.That(MiniLmPackage.CandidatePaths()[0], Is.EqualTo(package.AssemblyPath));
    }

    [Test]
    public void Vocabulary_HasOneBertTokenPerLineWithTheSpecialTokensAtTheirIds()
    {
        string[] lines = Encoding.UTF8.GetString(MiniLmAssets.Package.Vocabulary.Span).Split('\n');
        string[] tokens = lines[^1].Length == 0 ? lines[..^1] : lines;

        Assert.That(tokens, Has.Length.EqualTo(MiniLmConfig.AllMiniLmL6V2.VocabSize));
        Assert.That(tokens[0].TrimEnd('\r'), Is.EqualTo("[PAD]"));
        Assert.That(tokens[100].TrimEnd('\r'), Is.EqualTo("[UNK]"));
        Assert.That(tokens[101].TrimEnd('\r'), Is.EqualTo("[CLS]"));
        Assert.That(tokens[102].TrimEnd('\r'), Is.EqualTo("[SEP]"));
        Assert.That(tokens[103].TrimEnd('\r'), Is.EqualTo("[MASK]"));
    }

    [Test]
    public void Load_FromTheNuGetCacheGivesTheSameBytesAsTheCopyNextToTheApp()
    {
        string? cached = MiniLmPackage.CandidatePaths().Skip(1).FirstOrDefault(File.Exists);
        Assert.That(cached, Is.Not.Null, "restore puts the package in the NuGet cache: " + string.Join("; ", MiniLmPackage.CandidatePaths()));

        MiniLmPackage fromCache = MiniLmPackage.Load(cached);

        Assert.That(fromCache.AssemblyPath, Is.EqualTo(cached));
        Assert.That(fromCache.OnnxModel.Span.SequenceEqual(MiniLmAssets.Package.OnnxModel.Span), Is.True);
        Assert.That(fromCache.Vocabulary.Span.SequenceEqual(MiniLmAssets.Package.Vocabulary.Span), Is.True);
    }

    [Test]
    public void Load_MissingExplicitPath_ThrowsNamingThePathTried()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-dir-{Guid.NewGuid():N}", MiniLmPackage.AssemblyFileName);

        var e = Assert.Throws<FileNotFoundException>(() => MiniLmPackage.Load(missing));

        Assert.That(e!.Message, Does.Contain(missing).And.Contain(MiniLmPackage.PackageId).And.Contain(MiniLmPackage.PackageVersion));
    }

    [Test]
    public void Load_FileThatIsNotAPeImage_ThrowsInvalidData()
    {
        string path = Path.Combine(Path.GetTempPath(), $"not-a-dll-{Guid.NewGuid():N}.dll");
        var noise = new byte[4096];
        TestContext.CurrentContext.Random.NextBytes(noise);
        File.WriteAllBytes(path, noise);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => MiniLmPackage.Load(path));
            Assert.That(e!.Message, Does.Contain(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Load_AssemblyWithoutTheResources_ThrowsNamingTheMissingResource()
    {
        string otherAssembly = typeof(MiniLmPackage).Assembly.Location;

        var e = Assert.Throws<InvalidDataException>(() => MiniLmPackage.Load(otherAssembly));

        Assert.That(e!.Message, Does.Contain(otherAssembly).And.Contain(MiniLmPackage.ModelResourceName));
    }
}
