using BenchmarkDotNet.Attributes;
using DePT.IO;
using DePT.Numerics;

namespace DePT.Benchmarks.Cpu;

/// <summary>
/// Reading safetensors: a temporary file of six tensors (a MiniLM-sized layer: 1536×384 and 384×1536 F32, two of the same
/// in BF16, a 30522×384 BF16 embedding, an I64 vector; 31 MB) written once with <see cref="SafetensorsWriter"/>, then opened
/// (header parse and mapping) and read in full.
/// </summary>
[MemoryDiagnoser]
public class SafetensorsBenchmarks
{
    private string _path = "";
    private string[] _floatNames = [];
    private string[] _bf16Names = [];

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), $"dept-bench-{Environment.ProcessId}.safetensors");
        static ushort[] Bf16(float[] values)
        {
            var bits = new ushort[values.Length];
            BFloat16.FromSingle(values, bits);
            return bits;
        }
        var tensors = new[]
        {
            SafetensorsTensor.Float32("layer.wi.weight", BenchmarkText.Floats(1536 * 384, 1), 1536, 384),
            SafetensorsTensor.Float32("layer.wo.weight", BenchmarkText.Floats(384 * 1536, 2), 384, 1536),
            SafetensorsTensor.BFloat16("layer.q.weight", Bf16(BenchmarkText.Floats(1536 * 384, 3)), 1536, 384),
            SafetensorsTensor.BFloat16("layer.k.weight", Bf16(BenchmarkText.Floats(384 * 1536, 4)), 384, 1536),
            SafetensorsTensor.BFloat16("embeddings.weight", Bf16(BenchmarkText.Floats(30522 * 384, 5)), 30522, 384),
            SafetensorsTensor.Int64("position_ids", Enumerable.Range(0, 512).Select(i => (long)i).ToArray(), 1, 512),
        };
        SafetensorsWriter.Write(_path, tensors);
        _floatNames = ["layer.wi.weight", "layer.wo.weight"];
        _bf16Names = ["layer.q.weight", "layer.k.weight", "embeddings.weight"];
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_path);

    [Benchmark]
    public int OpenHeader()
    {
        using var file = SafetensorsFile.Open(_path);
        return file.Tensors.Count;
    }

    [Benchmark]
    public double OpenAndReadAll()
    {
        using var file = SafetensorsFile.Open(_path);
        double sum = 0;
        foreach (string name in _floatNames) sum += file.ReadFloat32(name)[^1];
        foreach (string name in _bf16Names) sum += file.ReadFloat32(name)[^1];
        return sum + file.ReadInt64("position_ids")[^1];
    }
}
