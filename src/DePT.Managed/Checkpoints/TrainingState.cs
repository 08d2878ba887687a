using System.Globalization;
using System.Text.Json;
using DePT.Backends;
using DePT.IO;
using DePT.Training;

namespace DePT.Checkpoints;

/// <summary>
/// What a resumed run needs besides the prompt's values so that it continues exactly as an uninterrupted one:
/// AdamW's moments and step count, the data order (a permutation of the example indices and the position in it),
/// the RNG position (seed and counter of a counter-based generator such as dropout's), and the best metric so far.
/// </summary>
/// <remarks>
/// One safetensors file: each parameter's moments as F32 tensors <c>optimizer.NAME.exp_avg</c> and
/// <c>optimizer.NAME.exp_avg_sq</c> (PyTorch's names), the order as I32 <c>data_order</c>, the scalars in the
/// header's metadata with <c>format_version</c>. It is written by <see cref="SafetensorsWriter"/>: a temporary file,
/// flushed, then renamed, so a crash leaves the old state or the whole new one.
/// </remarks>
/// <param name="Step">AdamW's <see cref="AdamW.StepCount"/>.</param>
/// <param name="Moments">AdamW's <see cref="AdamW.State"/>, downloaded.</param>
/// <param name="DataOrder">A permutation of 0..n−1: the order the examples are visited in this epoch.</param>
/// <param name="DataCursor">How many entries of <paramref name="DataOrder"/> were consumed, 0..n.</param>
/// <param name="DataEpoch">The 0-based epoch <paramref name="DataOrder"/> belongs to (see <see cref="Data.EpochOrder"/>).</param>
/// <param name="RngSeed">The run's seed.</param>
/// <param name="RngCounter">How many draws (or dropout streams) the run has used.</param>
/// <param name="BestMetric">The best evaluation metric so far, or null before the first evaluation.</param>
public sealed record TrainingState(int Step, IReadOnlyList<OptimizerMoments> Moments, int[] DataOrder, int DataCursor, int DataEpoch, ulong RngSeed, ulong RngCounter, double? BestMetric)
{
    /// <summary>The format version this library writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The tensor holding the data order.</summary>
    public const string DataOrderName = "data_order";

    private const string Kind = "dept_training_state";

    /// <summary>Downloads <paramref name="optimizer"/>'s moments and step (after waiting for <paramref name="backend"/>) with the run's position.</summary>
    public static TrainingState Capture(IBackend backend, IOptimizer optimizer, int[] dataOrder, int dataCursor, int dataEpoch, ulong rngSeed, ulong rngCounter, double? bestMetric)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(optimizer);
        backend.Synchronize();
        var moments = new List<OptimizerMoments>();
        foreach (var (name, first, second) in optimizer.State)
            moments.Add(new OptimizerMoments(name, first.Shape.ToArray(), first.ToFloatArray(), second.ToFloatArray()));
        var state = new TrainingState(optimizer.StepCount, moments, (int[])dataOrder.Clone(), dataCursor, dataEpoch, rngSeed, rngCounter, bestMetric);
        state.Check("TrainingState.Capture");
        return state;
    }

    /// <summary>Copies the moments into <paramref name="optimizer"/> (matched by name) and sets its step count.</summary>
    /// <exception cref="ArgumentException">The optimiser's parameters differ in name or shape from the saved ones; the message names them.</exception>
    public void Restore(AdamW optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var saved = Moments.ToDictionary(m => m.Name, StringComparer.Ordinal);
        var live = optimizer.State;
        if (live.Count != saved.Count || live.Any(p => !saved.ContainsKey(p.Name)))
            throw new ArgumentException(
                $"TrainingState.Restore: the optimiser trains [{string.Join(", ", live.Select(p => p.Name))}], the state holds [{string.Join(", ", saved.Keys)}].",
                nameof(optimizer));
        foreach (var (name, first, second) in live)
        {
            var moments = saved[name];
            if (!first.Shape.SequenceEqual(moments.Shape))
                throw new ArgumentException($"TrainingState.Restore: parameter '{name}' is {first.ShapeText}, its saved moments are [{string.Join(", ", moments.Shape)}].", nameof(optimizer));
        }
        foreach (var (name, first, second) in live)
        {
            first.CopyFrom(saved[name].FirstMoment);
            second.CopyFrom(saved[name].SecondMoment);
        }
        optimizer.StepCount = Step;
    }

    /// <summary>Writes the state to <paramref name="path"/> atomically (a temporary file, flushed, renamed).</summary>
    public void Save(string path)
    {
        Check($"Saving '{path}'");
        var tensors = new List<SafetensorsTensor> { SafetensorsTensor.Int32(DataOrderName, DataOrder, DataOrder.Length) };
        foreach (var m in Moments)
        {
            long[] shape = m.Shape.Select(d => (long)d).ToArray();
            tensors.Add(SafetensorsTensor.Float32(FirstName(m.Name), m.FirstMoment, shape));
            tensors.Add(SafetensorsTensor.Float32(SecondName(m.Name), m.SecondMoment, shape));
        }
        var metadata = new Dictionary<string, string>
        {
            ["kind"] = Kind,
            ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["step"] = Step.ToString(CultureInfo.InvariantCulture),
            ["data_cursor"] = DataCursor.ToString(CultureInfo.InvariantCulture),
            ["data_epoch"] = DataEpoch.ToString(CultureInfo.InvariantCulture),
            ["rng_seed"] = RngSeed.ToString(CultureInfo.InvariantCulture),
            ["rng_counter"] = RngCounter.ToString(CultureInfo.InvariantCulture),
            ["best_metric"] = BestMetric is { } best ? best.ToString("R", CultureInfo.InvariantCulture) : "none",
            ["parameters"] = JsonSerializer.Serialize(Moments.Select(m => m.Name).ToArray()),
        };
        SafetensorsWriter.Write(path, tensors, metadata);
    }

    /// <summary>Reads a state written by <see cref="Save"/>.</summary>
    /// <exception cref="CheckpointFormatException">Not a training state, a newer format version, or a missing or malformed entry; the message names the file and entry.</exception>
    public static TrainingState Load(string path)
    {
        using var file = SafetensorsFile.Open(path);
        string where = $"'{file.FilePath}'";
        var meta = file.Metadata;
        string Entry(string key) => meta.TryGetValue(key, out var value) ? value : throw new CheckpointFormatException($"{where}: the metadata entry '{key}' is missing.");
        T Parse<T>(string key) where T : IParsable<T> =>
            T.TryParse(Entry(key), CultureInfo.InvariantCulture, out var value) ? value
                : throw new CheckpointFormatException($"{where}: the metadata entry '{key}' is \"{Entry(key)}\", not a {typeof(T).Name}.");

        if (Entry("kind") != Kind) throw new CheckpointFormatException($"{where}: kind is \"{Entry("kind")}\", not a training state (\"{Kind}\").");
        CheckpointJson.CheckVersion(Parse<int>("format_version"), FormatVersion, file.FilePath, "format_version");

        string[] names;
        try
        {
            names = JsonSerializer.Deserialize<string[]>(Entry("parameters")) ?? throw new JsonException("null");
        }
        catch (JsonException ex)
        {
            throw new CheckpointFormatException($"{where}: the metadata entry 'parameters' is \"{Entry("parameters")}\", not a JSON array of names.", ex);
        }
        var moments = new List<OptimizerMoments>(names.Length);
        foreach (string name in names)
        {
            foreach (string tensor in new[] { FirstName(name), SecondName(name) })
                if (!file.Contains(tensor)) throw new CheckpointFormatException($"{where}: the tensor '{tensor}' of parameter '{name}' is missing.");
            var first = file.GetInfo(FirstName(name));
            if (!first.Shape.SequenceEqual(file.GetInfo(SecondName(name)).Shape))
                throw new CheckpointFormatException($"{where}: the two moments of '{name}' differ in shape.");
            moments.Add(new OptimizerMoments(name, first.GetShapeInt32(), file.ReadFloat32(FirstName(name)), file.ReadFloat32(SecondName(name))));
        }
        if (!file.Contains(DataOrderName)) throw new CheckpointFormatException($"{where}: the tensor '{DataOrderName}' is missing.");

        string best = Entry("best_metric");
        double? bestMetric = best == "none" ? null : Parse<double>("best_metric");
        var state = new TrainingState(Parse<int>("step"), moments, file.ReadInt32(DataOrderName), Parse<int>("data_cursor"),
            Parse<int>("data_epoch"), Parse<ulong>("rng_seed"), Parse<ulong>("rng_counter"), bestMetric);
        try
        {
            state.Check(where);
        }
        catch (ArgumentException ex)
        {
            throw new CheckpointFormatException(ex.Message, ex);
        }
        return state;
    }

    private static string FirstName(string parameter) => $"optimizer.{parameter}.exp_avg";

    private static string SecondName(string parameter) => $"optimizer.{parameter}.exp_avg_sq";

    /// <summary>Step ≥ 0, the order a permutation, the cursor inside it, each moment's length its shape's.</summary>
    private void Check(string where)
    {
        ArgumentNullException.ThrowIfNull(Moments);
        ArgumentNullException.ThrowIfNull(DataOrder);
        if (Step < 0) throw new ArgumentException($"{where}: step is {Step}; it must be ≥ 0.");
        if (DataEpoch < 0) throw new ArgumentException($"{where}: the data epoch is {DataEpoch}; it must be ≥ 0.");
        if (DataCursor < 0 || DataCursor > DataOrder.Length)
            throw new ArgumentException($"{where}: the data cursor {DataCursor} lies outside the data order of {DataOrder.Length} examples.");
        var seen = new bool[DataOrder.Length];
        for (int i = 0; i < DataOrder.Length; i++)
        {
            int index = DataOrder[i];
            if ((uint)index >= (uint)seen.Length || seen[index])
                throw new ArgumentException($"{where}: the data order is not a permutation of 0..{DataOrder.Length - 1} (entry {i} is {index}).");
            seen[index] = true;
        }
        foreach (var m in Moments)
        {
            long length = m.Shape.Aggregate(1L, (product, d) => product * d);
            if (m.FirstMoment.Length != length || m.SecondMoment.Length != length)
                throw new ArgumentException($"{where}: the moments of '{m.Name}' hold {m.FirstMoment.Length} and {m.SecondMoment.Length} values; its shape [{string.Join(", ", m.Shape)}] needs {length}.");
        }
    }
}
