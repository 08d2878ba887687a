using System.Buffers;
using DePT.IO;

namespace DePT.Tests.IO;

/// <summary>The writer's argument checks and its write-then-rename guarantee.</summary>
public sealed class SafetensorsWriterTests
{
    private TemporaryFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TemporaryFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    private static float[] RandomFloats(int count)
    {
        var random = TestContext.CurrentContext.Random;
        return Enumerable.Range(0, count).Select(_ => random.NextFloat(-3, 3)).ToArray();
    }

    /// <summary>Writes a valid file to be clobbered and returns its bytes.</summary>
    private byte[] WriteOldFile(string path)
    {
        SafetensorsWriter.Write(path, [SafetensorsTensor.Float32("old", RandomFloats(12), 3, 4)], new Dictionary<string, string> { ["version"] = "1" });
        return File.ReadAllBytes(path);
    }

    [Test]
    public void AnEnumeratorThatThrowsLeavesTheOldFileIntact()
    {
        string path = _folder.File("prompt.safetensors");
        byte[] before = WriteOldFile(path);

        IEnumerable<SafetensorsTensor> Failing()
        {
            yield return SafetensorsTensor.Float32("a", RandomFloats(8), 8);
            yield return SafetensorsTensor.Float32("b", RandomFloats(8), 8);
            throw new InvalidOperationException("simulated failure while producing tensors");
        }

        var error = Assert.Throws<InvalidOperationException>(() => SafetensorsWriter.Write(path, Failing()));
        Assert.That(error!.Message, Does.Contain("simulated"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(File.Exists(path + SafetensorsWriter.TemporarySuffix), Is.False);
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Tensors.Single().Name, Is.EqualTo("old"));
    }

    [Test]
    public void AFailureWhileWritingDataLeavesTheOldFileIntactAndRemovesTheTemporaryFile()
    {
        string path = _folder.File("prompt.safetensors");
        byte[] before = WriteOldFile(path);
        string temporaryPath = path + SafetensorsWriter.TemporarySuffix;
        using var failing = new FailingMemory(6, () => File.Exists(temporaryPath) && new FileInfo(temporaryPath).Length > 8);

        // "z" sorts last, so the header and "a" are already in the temporary file when its data is read.
        var error = Assert.Throws<IOException>(() => SafetensorsWriter.Write(path,
            [SafetensorsTensor.Float32("z", failing.Memory, 2, 3), SafetensorsTensor.Float32("a", RandomFloats(1000), 1000)]));

        Assert.That(error!.Message, Does.Contain("simulated"));
        Assert.That(failing.PartialFileExistedWhenThrown, Is.True, "the failure struck midway, with a partial temporary file on disk");
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(File.Exists(temporaryPath), Is.False);
    }

    [Test]
    public void ASuccessfulWriteReplacesTheOldFile()
    {
        string path = _folder.File("prompt.safetensors");
        WriteOldFile(path);
        float[] fresh = RandomFloats(5);

        SafetensorsWriter.Write(path, [SafetensorsTensor.Float32("new", fresh, 5)]);

        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "new" }));
        Assert.That(file.ReadFloat32("new"), Is.EqualTo(fresh));
        Assert.That(file.Metadata, Is.Empty);
        Assert.That(File.Exists(path + SafetensorsWriter.TemporarySuffix), Is.False);
    }

    [Test]
    public void DuplicateNamesAreRejectedBeforeAnythingIsWritten()
    {
        string path = _folder.File("dup.safetensors");
        var error = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path,
            [SafetensorsTensor.Float32("w", RandomFloats(2), 2), SafetensorsTensor.Int32("w", new[] { 1 }, 1)]));
        Assert.That(error!.Message, Does.Contain("'w'"));
        Assert.That(Directory.GetFiles(_folder.Path), Is.Empty);
    }

    [Test]
    public void TensorsCheckTheirShapeAgainstTheirValues()
    {
        var mismatch = Assert.Throws<ArgumentException>(() => SafetensorsTensor.Float32("w", RandomFloats(6), 4, 2));
        Assert.That(mismatch!.Message, Does.Contain("'w'").And.Contain("[4, 2]").And.Contain("8 elements").And.Contain("6 values"));
        Assert.Throws<ArgumentException>(() => SafetensorsTensor.Int64("w", new long[] { 1, 2 }, -1, -2));
        Assert.Throws<ArgumentException>(() => SafetensorsTensor.BFloat16("__metadata__", new ushort[] { 1 }, 1));
        Assert.Throws<ArgumentException>(() => SafetensorsTensor.Int32("", new[] { 1 }, 1));
    }

    [Test]
    public void AMissingDestinationFolderFailsWithoutLeavingFiles()
    {
        string path = Path.Combine(_folder.Path, "absent", "p.safetensors");
        Assert.Throws<DirectoryNotFoundException>(() => SafetensorsWriter.Write(path, [SafetensorsTensor.Float32("w", RandomFloats(2), 2)]));
        Assert.That(Directory.GetFileSystemEntries(_folder.Path), Is.Empty);
    }

    /// <summary>Memory whose span cannot be taken: the writer fails at the moment it reads this tensor's data.</summary>
    private sealed class FailingMemory(int length, Func<bool> partialFileExists) : MemoryManager<float>
    {
        public override Memory<float> Memory => CreateMemory(length);

        public bool PartialFileExistedWhenThrown { get; private set; }

        public override Span<float> GetSpan()
        {
            PartialFileExistedWhenThrown = partialFileExists();
            throw new IOException("simulated disk failure midway through the data");
        }

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin() => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
        }
    }
}
