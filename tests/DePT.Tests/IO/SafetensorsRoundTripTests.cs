using DePT.Numerics;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using DePT.IO;
using NUnit.Framework.Internal;

namespace DePT.Tests.IO;

public sealed class SafetensorsRoundTripTests
{
    private TemporaryFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TemporaryFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    private static Randomizer Random => TestContext.CurrentContext.Random;

    private static float[] RandomFloats(int count) =>
        Enumerable.Range(0, count).Select(_ => (float)(Random.NextDouble() * 8 - 4)).ToArray();

    [Test]
    public void EveryWriterDTypeRoundTripsWithShapesOffsetsAndMetadata()
    {
        float[] weights = RandomFloats(3 * 37);
        ushort[] bf16 = Enumerable.Range(0, 4 * 5 * 6).Select(_ => (ushort)Random.Next(0, 0x7F80)).ToArray();
        int[] ids = Enumerable.Range(0, 11).Select(_ => Random.Next(int.MinValue, int.MaxValue)).ToArray();
        long[] positions = Enumerable.Range(0, 7).Select(_ => Random.NextInt64(long.MinValue, long.MaxValue)).ToArray();
        float[] scalar = [Random.NextFloat()];
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "d\u00e9j\u00e0 vu \"quoted\" + <tags>" };
        string path = _folder.File("all.safetensors");

        SafetensorsWriter.Write(path,
        [
            SafetensorsTensor.Int64("positions", positions, 7),
            SafetensorsTensor.Float32("a.weight", weights, 3, 37),
            SafetensorsTensor.BFloat16("b.bf16", bf16, 4, 5, 6),
            SafetensorsTensor.Int32("c.ids", ids, 11),
            SafetensorsTensor.Float32("d.scalar", scalar),
            SafetensorsTensor.Float32("e.empty", Array.Empty<float>(), 0, 16),
        ], metadata);

        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Metadata, Is.EquivalentTo(metadata));
        Assert.That(file.Tensors.Select(t => t.Name),
            Is.EqualTo(new[] { "a.weight", "b.bf16", "c.ids", "d.scalar", "e.empty", "positions" }), "data is in ordinal name order");
        Assert.That(file.Tensors.Select(t => t.DType), Is.EqualTo(new[]
            { SafetensorsDType.F32, SafetensorsDType.BF16, SafetensorsDType.I32, SafetensorsDType.F32, SafetensorsDType.F32, SafetensorsDType.I64 }));
        Assert.That(file.GetInfo("b.bf16").Shape, Is.EqualTo(new long[] { 4, 5, 6 }));
        Assert.That(file.GetInfo("d.scalar").Shape, Is.Empty);
        Assert.That(file.GetInfo("d.scalar").ElementCount, Is.EqualTo(1));
        Assert.That(file.GetInfo("e.empty").GetShapeInt32(), Is.EqualTo(new[] { 0, 16 }));

        long expectedBegin = 0;
        foreach (var info in file.Tensors)
        {
            Assert.That(info.DataBegin, Is.EqualTo(expectedBegin), info.Name);
            expectedBegin += info.ByteLength;
        }
        long headerLength = file.Tensors[0].FileOffset - 8;
        Assert.That(headerLength % 8, Is.Zero, "the header is padded so data starts at a multiple of 8");
        Assert.That(file.FileLength, Is.EqualTo(8 + headerLength + expectedBegin));

        Assert.That(file.ReadFloat32("a.weight"), Is.EqualTo(weights));
        Assert.That(file.ReadBFloat16("b.bf16"), Is.EqualTo(bf16));
        Assert.That(file.ReadInt32("c.ids"), Is.EqualTo(ids));
        Assert.That(file.ReadInt64("positions"), Is.EqualTo(positions));
        Assert.That(file.ReadFloat32("d.scalar"), Is.EqualTo(scalar));
        Assert.That(file.ReadFloat32("e.empty"), Is.Empty);
        Assert.That(file.GetBytes("a.weight").ToArray(), Is.EqualTo(MemoryMarshal.AsBytes(weights.AsSpan()).ToArray()));
        Assert.That(file.ReadInt64("c.ids"), Is.EqualTo(ids.Select(i => (long)i).ToArray()), "I32 widens to long");
        Assert.That(file.ReadFloat32("b.bf16"), Is.EqualTo(bf16.Select(BFloat16.ToSingle).ToArray()), "BF16 widens to float exactly");
        Assert.That(file.ReadBFloat16("a.weight"), Is.EqualTo(weights.Select(BFloat16.FromSingle).ToArray()), "F32 narrows to BF16");
    }

    [Test]
    public void WriterOutputMatchesTheReferenceLayoutByteForByte()
    {
        // The reference writer emits __metadata__ first, fields in dtype/shape/data_offsets order, no spaces,
        // and pads the header with spaces to a multiple of 8.
        string path = _folder.File("golden.safetensors");
        SafetensorsWriter.Write(path, [SafetensorsTensor.Float32("a", new[] { 1.0f, -2.0f }, 2)],
            new Dictionary<string, string> { ["format"] = "pt" });

        const string json = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        string paddedJson = json.PadRight((json.Length + 7) / 8 * 8);
        var expected = new List<byte>();
        expected.AddRange(BitConverter.GetBytes((ulong)paddedJson.Length));
        expected.AddRange(Encoding.ASCII.GetBytes(paddedJson));
        expected.AddRange(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0 });
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(expected.ToArray()));
    }

    [Test]
    public void LongTensorsConvertTheSameOnTheVectorPathAsElementByElement()
    {
        int count = 4099; // not a multiple of any vector width, so the scalar tail runs too
        float[] values = RandomFloats(count);
        string path = _folder.File("long.safetensors");
        SafetensorsWriter.Write(path, [SafetensorsTensor.Float32("w", values, count)]);

        using var file = SafetensorsFile.Open(path);
        ushort[] bits = file.ReadBFloat16("w");
        for (int i = 0; i < count; i++)
        {
            Assert.That(bits[i], Is.EqualTo(BFloat16.FromSingle(values[i])), $"element {i} of {values[i]:R}");
        }
    }

    [Test]
    public void HandBuiltF16AndF64TensorsConvertToFloat32()
    {
        Half[] halves = Enumerable.Range(0, 33).Select(_ => (Half)(Random.NextDouble() * 100 - 50)).ToArray();
        double[] doubles = Enumerable.Range(0, 9).Select(_ => Random.NextDouble() * 1e6 - 5e5).ToArray();
        byte[] halfBytes = MemoryMarshal.AsBytes(halves.AsSpan()).ToArray();
        byte[] doubleBytes = MemoryMarshal.AsBytes(doubles.AsSpan()).ToArray();
        string path = _folder.File("f16f64.safetensors");
        RawSafetensors.Write(path, RawSafetensors.Header(
                RawSafetensors.Entry("half", "F16", [3, 11], 0, halfBytes.Length),
                RawSafetensors.Entry("double", "F64", [9], halfBytes.Length, halfBytes.Length + doubleBytes.Length)),
            [.. halfBytes, .. doubleBytes]);

        using var file = SafetensorsFile.Open(path);
        Assert.That(file.ReadFloat32("half"), Is.EqualTo(halves.Select(h => (float)h).ToArray()));
        Assert.That(file.ReadFloat32("double"), Is.EqualTo(doubles.Select(d => (float)d).ToArray()));
        Assert.That(file.ReadBFloat16("half"), Is.EqualTo(halves.Select(h => BFloat16.FromSingle((float)h)).ToArray()));
        var error = Assert.Throws<NotSupportedException>(() => file.ReadBFloat16("double"));
        Assert.That(error!.Message, Does.Contain("'double'").And.Contain(path).And.Contain("F64"));
    }

    [Test]
    public void SmallIntegerDTypesWidenToInt64AndInt32()
    {
        sbyte[] i8 = [-128, -1, 0, 5, 127];
        short[] i16 = [short.MinValue, -300, 0, 300, short.MaxValue];
        byte[] u8 = [0, 1, 200, 255];
        byte[] boolean = [1, 0, 1];
        ushort[] u16 = [0, 1, 65535];
        uint[] u32 = [0, 7, int.MaxValue];
        byte[] data = [.. MemoryMarshal.AsBytes(i8.AsSpan()), .. MemoryMarshal.AsBytes(i16.AsSpan()), .. u8, .. boolean,
            .. MemoryMarshal.AsBytes(u16.AsSpan()), .. MemoryMarshal.AsBytes(u32.AsSpan())];
        long offset = 0;
        string Next(string name, string dtype, int count, int size) =>
            RawSafetensors.Entry(name, dtype, [count], offset, offset += count * size);
        string header = RawSafetensors.Header(Next("i8", "I8", 5, 1), Next("i16", "I16", 5, 2), Next("u8", "U8", 4, 1),
            Next("bool", "BOOL", 3, 1), Next("u16", "U16", 3, 2), Next("u32", "U32", 3, 4));
        string path = _folder.File("ints.safetensors");
        RawSafetensors.Write(path, header, data);

        using var file = SafetensorsFile.Open(path);
        Assert.That(file.ReadInt64("i8"), Is.EqualTo(i8.Select(v => (long)v).ToArray()));
        Assert.That(file.ReadInt32("i16"), Is.EqualTo(i16.Select(v => (int)v).ToArray()));
        Assert.That(file.ReadInt32("u8"), Is.EqualTo(u8.Select(v => (int)v).ToArray()));
        Assert.That(file.ReadInt64("bool"), Is.EqualTo(new long[] { 1, 0, 1 }));
        Assert.That(file.ReadInt32("u16"), Is.EqualTo(u16.Select(v => (int)v).ToArray()));
        Assert.That(file.ReadInt32("u32"), Is.EqualTo(u32.Select(v => (int)v).ToArray()));
    }

    [Test]
    public void Int64ValuesOutsideInt32RangeAreReportedWithTheirIndex()
    {
        long big = (long)int.MaxValue + Random.Next(1, 1000);
        long[] values = [1, -2, big, 4];
        string path = _folder.File("i64.safetensors");
        SafetensorsWriter.Write(path, [SafetensorsTensor.Int64("input_ids", values, 4)]);

        using var file = SafetensorsFile.Open(path);
        var error = Assert.Throws<OverflowException>(() => file.ReadInt32("input_ids"));
        Assert.That(error!.Message, Does.Contain("'input_ids'").And.Contain(path).And.Contain("element 2").And.Contain(big.ToString()));

        values[2] = -big;
        SafetensorsWriter.Write(path, [SafetensorsTensor.Int64("input_ids", values, 4)]);
        using var rewritten = SafetensorsFile.Open(path);
        Assert.Throws<OverflowException>(() => rewritten.ReadInt32("input_ids"));
        Assert.That(rewritten.ReadInt64("input_ids"), Is.EqualTo(values));
    }

    [Test]
    public void U64ValuesBeyondInt64AreReportedNotWrapped()
    {
        ulong[] values = [3, (ulong)long.MaxValue + 1];
        string path = _folder.File("u64.safetensors");
        RawSafetensors.Write(path, RawSafetensors.Header(RawSafetensors.Entry("counts", "U64", [2], 0, 16)),
            MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

        using var file = SafetensorsFile.Open(path);
        var error = Assert.Throws<OverflowException>(() => file.ReadInt64("counts"));
        Assert.That(error!.Message, Does.Contain("element 1").And.Contain("Int64"));
    }

    [Test]
    public void ConversionsTheDTypeCannotTakeNameTheTensorFileAndDType()
    {
        string path = _folder.File("mixed.safetensors");
        SafetensorsWriter.Write(path,
        [
            SafetensorsTensor.Int32("ids", new[] { 1, 2, 3 }, 3),
            SafetensorsTensor.Float32("w", RandomFloats(6), 2, 3),
        ]);

        using var file = SafetensorsFile.Open(path);
        var floatError = Assert.Throws<NotSupportedException>(() => file.ReadFloat32("ids"));
        Assert.That(floatError!.Message, Does.Contain("'ids'").And.Contain(path).And.Contain("I32"));
        var intError = Assert.Throws<NotSupportedException>(() => file.ReadInt32("w"));
        Assert.That(intError!.Message, Does.Contain("'w'").And.Contain("F32"));
        Assert.Throws<NotSupportedException>(() => file.ReadBFloat16("ids"));

        var lengthError = Assert.Throws<ArgumentException>(() => file.ReadAsFloat32("w", new float[5]));
        Assert.That(lengthError!.Message, Does.Contain("'w'").And.Contain("6 elements").And.Contain("holds 5"));
        Assert.Throws<ArgumentException>(() => file.ReadAsBFloat16("w", new ushort[7]));
        Assert.Throws<ArgumentException>(() => file.ReadAsInt64("ids", new long[2]));
    }

    [Test]
    public void AMissingTensorNamesTheFileAndTheClosestNames()
    {
        string path = _folder.File("t5.safetensors");
        string[] names =
        [
            "encoder.block.0.layer.0.SelfAttention.q.weight", "encoder.block.0.layer.0.SelfAttention.k.weight",
            "encoder.block.0.layer.0.SelfAttention.v.weight", "shared.weight", "decoder.final_layer_norm.weight",
        ];
        SafetensorsWriter.Write(path, names.Select(n => SafetensorsTensor.Float32(n, RandomFloats(2), 2)));

        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Contains("shared.weight"), Is.True);
        Assert.That(file.Contains("shared.weights"), Is.False);
        var error = Assert.Throws<TensorNotFoundException>(() => file.ReadFloat32("encoder.block.0.layer.0.SelfAttention.qq.weight"));
        Assert.That(error!.TensorName, Is.EqualTo("encoder.block.0.layer.0.SelfAttention.qq.weight"));
        Assert.That(error.SourcePath, Is.EqualTo(path));
        Assert.That(error.ClosestNames[0], Is.EqualTo("encoder.block.0.layer.0.SelfAttention.q.weight"));
        Assert.That(error.Message, Does.Contain(path).And.Contain("'encoder.block.0.layer.0.SelfAttention.q.weight'"));
        Assert.That(error, Is.InstanceOf<KeyNotFoundException>());
    }

    [Test]
    public void ReadsAfterDisposeThrowInsteadOfTouchingUnmappedMemory()
    {
        string path = _folder.File("disposed.safetensors");
        SafetensorsWriter.Write(path, [SafetensorsTensor.Float32("w", RandomFloats(4), 4)]);
        var file = SafetensorsFile.Open(path);
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.GetBytes("w"));
        Assert.Throws<ObjectDisposedException>(() => file.ReadFloat32("w"));
        file.Dispose();
    }

    [Test]
    public void PartialByteRangesOfATensorComeFromTheRightPlace()
    {
        float[] values = RandomFloats(10);
        string path = _folder.File("range.safetensors");
        SafetensorsWriter.Write(path, [SafetensorsTensor.Float32("w", values, 10)]);

        using var file = SafetensorsFile.Open(path);
        var slice = file.GetBytes("w", 12, 8);
        Assert.That(BinaryPrimitives.ReadSingleLittleEndian(slice), Is.EqualTo(values[3]));
        Assert.That(BinaryPrimitives.ReadSingleLittleEndian(slice[4..]), Is.EqualTo(values[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => file.GetBytes("w", 36, 8));
    }
}
