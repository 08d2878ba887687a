using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Data;
using DePT.IO;
using DePT.Metrics;
using DePT.Tensors;
using DePT.Tokenizers;
using DePT.Training;

namespace DePT.Tests.Training.Trainer;

/// <summary>
/// A trainer test double: one real parameter of <see cref="Size"/> values under a real AdamW on the CPU backend, the
/// loss ½‖w − 1‖² (its gradient w − 1 added each step) unless <see cref="LossAt"/> scripts it, and evaluations whose
/// accuracy <see cref="AccuracyAt"/> scripts by step. Batches carry the example indices as ids and labels, so a test
/// can see the data order. Saved as one safetensors file, <see cref="FileName"/>.
/// </summary>
internal sealed class ScriptedTask : ITrainingTask, IDisposable
{
    public const int Size = 6;
    public const string FileName = "parameter.safetensors";
    private const string TensorName = "w";
    private readonly Tensor _value, _gradient;
    private readonly AdamW _optimizer;

    public ScriptedTask(int steps, ulong initSeed = 1)
    {
        var cpu = new CpuBackend();
        Backend = cpu;
        _value = cpu.Allocate(DType.F32, Size);
        _gradient = cpu.Allocate(DType.F32, Size);
        var random = new Random((int)initSeed);
        _value.CopyFrom(Enumerable.Range(0, Size).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray());
        _gradient.CopyFrom(new float[Size]);
        var settings = new AdamWSettings(WarmupSteps: 0, TotalSteps: steps);
        _optimizer = new AdamW(cpu, [new ParameterGroup("w", 0.1f, [new TrainableTensor(TensorName, _value, _gradient)])], settings);
    }

    public IBackend Backend { get; }
    public IOptimizer Optimizer => _optimizer;
    public IReadOnlyList<MetricKind> Metrics { get; } = [MetricKind.Accuracy, MetricKind.MacroF1];

    /// <summary>The loss of 1-based step k; null for the real ½‖w − 1‖².</summary>
    public Func<int, float?> LossAt { get; set; } = _ => null;

    /// <summary>The accuracy of an evaluation after step k.</summary>
    public Func<int, double> AccuracyAt { get; set; } = step => step / 100.0;

    /// <summary>Every batch's example indices, in order.</summary>
    public List<int[]> Batches { get; } = [];

    public int EvaluationCount { get; private set; }

    public float[] Values => _value.ToFloatArray();
    public float[] Gradient => _gradient.ToFloatArray();

    public EncodedBatch Encode(IReadOnlyList<Example> examples, ReadOnlySpan<int> indices)
    {
        int[] ids = indices.ToArray();
        Batches.Add(ids);
        return new EncodedBatch(new TokenBatch(ids.Length, 1, ids, [.. ids.Select(_ => 1)], [.. ids.Select(_ => 1)]), null, ids, 0, 0);
    }

    public float AccumulateGradients(EncodedBatch batch)
    {
        float[] w = _value.ToFloatArray(), g = _gradient.ToFloatArray();
        double loss = 0;
        for (int i = 0; i < Size; i++)
        {
            g[i] += w[i] - 1f;
            loss += 0.5 * (w[i] - 1f) * (w[i] - 1f);
        }
        _gradient.CopyFrom(g);
        return LossAt(Optimizer.StepCount + 1) ?? (float)loss;
    }

    public IReadOnlyDictionary<MetricKind, double> Evaluate(IReadOnlyList<Example> examples, int batchSize)
    {
        EvaluationCount++;
        return new Dictionary<MetricKind, double> { [MetricKind.Accuracy] = AccuracyAt(Optimizer.StepCount), [MetricKind.MacroF1] = 0.25 };
    }

    public void SaveParameters(string folder) =>
        SafetensorsWriter.Write(Path.Combine(folder, FileName), [SafetensorsTensor.Float32(TensorName, _value.ToFloatArray(), Size)]);

    public void LoadParameters(string folder)
    {
        using var file = SafetensorsFile.Open(Path.Combine(folder, FileName));
        _value.CopyFrom(file.ReadFloat32(TensorName));
    }

    /// <summary>The parameter values saved in a checkpoint folder.</summary>
    public static float[] Saved(string folder)
    {
        using var file = SafetensorsFile.Open(Path.Combine(folder, FileName));
        return file.ReadFloat32(TensorName);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _value.Dispose();
        _gradient.Dispose();
    }
}

/// <summary>Records what a trainer reports; runs <see cref="AtStep"/> after each step and <see cref="AtEvaluation"/> after each evaluation.</summary>
internal sealed class RecordingObserver : ITrainingObserver
{
    public List<TrainingStepReport> Steps { get; } = [];
    public List<(int Step, IReadOnlyDictionary<MetricKind, double> Metrics, bool IsBest)> Evaluations { get; } = [];
    public List<string> Messages { get; } = [];
    public Action<TrainingStepReport>? AtStep { get; init; }
    public Action<int>? AtEvaluation { get; init; }

    /// <summary>An observer that cancels <paramref name="source"/> once step <paramref name="step"/> is done.</summary>
    public static RecordingObserver CancellingAt(int step, CancellationTokenSource source) => new() { AtStep = r => { if (r.Step == step) source.Cancel(); } };

    public void OnStep(TrainingStepReport report)
    {
        Steps.Add(report);
        AtStep?.Invoke(report);
    }

    public void OnEvaluation(int step, IReadOnlyDictionary<MetricKind, double> metrics, bool isBest)
    {
        Evaluations.Add((step, metrics, isBest));
        AtEvaluation?.Invoke(step);
    }

    public void OnMessage(string message) => Messages.Add(message);
}
