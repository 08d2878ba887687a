using System.Buffers.Binary;
using DePT.IO;
using static DePT.Tests.IO.RawSafetensors;

namespace DePT.Tests.IO;

/// <summary>Each way a header can break the format, built by hand, yields an error naming the file and the tensor.</summary>
public sealed class SafetensorsMalformedFileTests
{
    public sealed record BadHeader(string Header, int DataLength, string? Tensor, string Fragment, ulong? LengthField = null);

    // A valid entry to sit beside the broken one: 2×3 F32 = 24 bytes at [0, 24].
    private static readonly string Good = Entry("good", "F32", [2, 3], 0, 24);

    private static IEnumerable<TestCaseData> BadHeaders()
    {
        TestCaseData Case(string name, BadHeader bad) => new TestCaseData(bad).SetName(name);

        yield return Case("unknown dtype", new(Header(Good, Entry("bad", "F33", [2], 24, 32)), 32, "bad", "unknown dtype 'F33'"));
        yield return Case("lower-case dtype", new(Header(Entry("bad", "f32", [2], 0, 8)), 8, "bad", "unknown dtype 'f32'"));
        yield return Case("offsets past the data", new(Header(Good, Entry("bad", "F32", [4], 24, 40)), 32, "bad", "past the end of the data section (32 bytes)"));
        yield return Case("end before begin", new(Header(Good, Entry("bad", "F32", [0], 24, 16)), 24, "bad", "[24, 16] end before they begin"));
        yield return Case("byte size differs from shape", new(Header(Good, Entry("bad", "F32", [3], 24, 32)), 32, "bad", "hold 8 bytes but shape [3] of F32 needs 3 × 4 = 12"));
        yield return Case("byte size of bf16", new(Header(Entry("bad", "BF16", [2, 2], 0, 16)), 16, "bad", "needs 4 × 2 = 8"));
        yield return Case("overlapping tensors", new(Header(Good, Entry("bad", "F32", [2], 16, 24)), 24, "bad", "overlap tensor 'good' at [0, 24]"));
        yield return Case("hole between tensors", new(Header(Good, Entry("bad", "F32", [2], 32, 40)), 40, "bad", "bytes [24, 32] of the data section belong to no tensor"));
        yield return Case("first tensor not at zero", new(Header(Entry("bad", "F32", [2], 8, 16)), 16, "bad", "start at 8 but the previous tensor ends at 0"));
        yield return Case("trailing bytes", new(Header(Good), 40, null, "the trailing 16 bytes belong to no tensor"));
        yield return Case("negative dimension", new(Header(Entry("bad", "F32", [-2], 0, 8)), 8, "bad", "'shape' holds -2"));
        yield return Case("fractional dimension", new(Header("\"bad\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,6]}"), 6, "bad", "'shape' holds 1.5"));
        yield return Case("three offsets", new(Header("\"bad\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}"), 8, "bad", "has 3 values"));
        yield return Case("missing dtype", new(Header("\"bad\":{\"shape\":[1],\"data_offsets\":[0,4]}"), 4, "bad", "'dtype' is missing"));
        yield return Case("missing shape", new(Header("\"bad\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}"), 4, "bad", "'shape' is missing"));
        yield return Case("entry not an object", new(Header("\"bad\":[1,2]"), 0, "bad", "the entry is a JSON Array"));
        yield return Case("duplicate tensor name", new(Header(Good, Entry("good", "F32", [2, 3], 24, 48)), 48, "good", "lists this name twice"));
        yield return Case("shape overflows", new(Header(Entry("bad", "F64", [4294967296, 4294967296], 0, 8)), 8, "bad", "overflows a 64-bit byte count"));
        yield return Case("malformed JSON", new("{\"good\":{\"dtype\":\"F32\",", 0, null, "not valid JSON"));
        yield return Case("header is an array", new("[1, 2, 3]", 0, null, "JSON Array, expected an object"));
        yield return Case("metadata value not a string", new(Header("\"__metadata__\":{\"step\":5}", Good), 24, null, "entry 'step' is a JSON Number"));
        yield return Case("metadata not an object", new(Header("\"__metadata__\":\"pt\"", Good), 24, null, "'__metadata__' is a JSON String"));
        yield return Case("header length beyond file", new(Header(Good), 24, null, "the file is truncated", LengthField: 10_000));
        yield return Case("absurd header length", new(Header(Good), 24, null, "beyond the 100000000-byte limit", LengthField: 100_000_001));
        yield return Case("huge header length", new(Header(Good), 24, null, "beyond the 100000000-byte limit", LengthField: ulong.MaxValue));
    }

    [TestCaseSource(nameof(BadHeaders))]
    public void MalformedHeaderIsRejectedNamingFileAndTensor(BadHeader bad)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("bad.safetensors");
        Write(path, bad.Header, RandomBytes(bad.DataLength), bad.LengthField);

        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.That(error!.FilePath, Is.EqualTo(path));
        Assert.That(error.TensorName, Is.EqualTo(bad.Tensor));
        Assert.That(error.Message, Does.Contain(path));
        Assert.That(error.Message, Does.Contain(bad.Fragment));
        if (bad.Tensor is not null)
        {
            Assert.That(error.Message, Does.Contain($"tensor '{bad.Tensor}'"));
        }
    }

    [Test]
    public void FileTruncatedInsideTheDataNamesTheLastTensor()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("cut.safetensors");
        var random = TestContext.CurrentContext.Random;
        float[] first = [random.NextFloat(), random.NextFloat()];
        float[] second = [random.NextFloat(), random.NextFloat(), random.NextFloat()];
        SafetensorsWriter.Write(path, [SafetensorsTensor.Float32("a", first, 2), SafetensorsTensor.Float32("b", second, 3)]);
        byte[] whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..^5]);

        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.That(error!.TensorName, Is.EqualTo("b"));
        Assert.That(error.Message, Does.Contain("truncated").And.Contain(path));
    }

    [TestCase(0)]
    [TestCase(5)]
    public void FileShorterThanTheLengthFieldIsTruncated(int length)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("tiny.safetensors");
        File.WriteAllBytes(path, RandomBytes(length));

        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.That(error!.Message, Does.Contain($"the file is {length} bytes").And.Contain("truncated").And.Contain(path));
    }

    [Test]
    public void EmptyHeaderWithNoDataIsAValidEmptyFile()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("empty.safetensors");
        Write(path, "{}      ", []);
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Tensors, Is.Empty);
        Assert.That(file.Metadata, Is.Empty);
        var error = Assert.Throws<TensorNotFoundException>(() => file.GetInfo("x"));
        Assert.That(error!.Message, Does.Contain("holds no tensors"));
    }

    [Test]
    public void ZeroSizedTensorsMayShareAnOffsetWithTheirNeighbour()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("zero.safetensors");
        Write(path, Header(Entry("empty", "F32", [0, 4], 0, 0), Good), RandomBytes(24));
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "empty", "good" }));
    }

    [Test]
    public void AMissingFileIsFileNotFound()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("absent.safetensors");
        var error = Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open(path));
        Assert.That(error!.Message, Does.Contain(path));
    }

    [Test]
    public void TheLengthFieldIsLittleEndian()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("endian.safetensors");
        string header = Header(Good) + "  ";
        Write(path, header, RandomBytes(24));
        byte[] bytes = File.ReadAllBytes(path);
        Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(bytes), Is.EqualTo((ulong)header.Length));
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Tensors.Single().FileOffset, Is.EqualTo(8 + header.Length));
    }
}
