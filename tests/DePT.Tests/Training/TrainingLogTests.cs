using System.Globalization;
using System.Text.Json;
using DePT.Metrics;
using DePT.Training;

namespace DePT.Tests.Training;

/// <summary>The JSON Lines training log: lines as written, a resumed open that drops later and torn lines, Read, and non-finite values as null.</summary>
public class TrainingLogTests
{
    private string _folder = "";
    private string _path = "";

    [SetUp]
    public void SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("dept-log-").FullName;
        _path = Path.Combine(_folder, TrainingLog.FileName);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_folder, recursive: true);

    private static TrainingStepReport Step(int step, float loss) =>
        new(step, 10, loss, [("prompt", 0.3f * step), ("low_rank", 1e-4f)], 1234.56, TimeSpan.FromSeconds(step), TimeSpan.Zero);

    private static Dictionary<MetricKind, double> Metrics(double accuracy) => new() { [MetricKind.MacroF1] = accuracy / 2, [MetricKind.Accuracy] = accuracy };

    private void WriteSteps(int through, int evaluateEvery = 2)
    {
        using var log = TrainingLog.Open(_path, 0);
        for (int step = 1; step <= through; step++)
        {
            log.WriteStep(Step(step, 1f / step));
            if (step % evaluateEvery == 0) log.WriteEvaluation(step, Metrics(step / 10.0), isBest: step == 2);
        }
    }

    [Test]
    public void LinesAreTheDocumentedObjects_AndReadParsesThem()
    {
        WriteSteps(3);
        string[] lines = File.ReadAllLines(_path);

        Assert.That(lines, Has.Length.EqualTo(4));
        Assert.That(lines.Select(Shape), Is.EqualTo(new[]
        {
            "step=1 loss=1 learning_rates={prompt=0.3 low_rank=0.0001} tokens_per_second=1234.6 elapsed_seconds=1",
            "step=2 loss=0.5 learning_rates={prompt=0.6 low_rank=0.0001} tokens_per_second=1234.6 elapsed_seconds=2",
            "step=2 metrics={accuracy=0.2 macro_f1=0.1} best=True",
            $"step=3 loss={(double)(1f / 3):R} learning_rates={{prompt={0.3f * 3:R} low_rank=0.0001}} tokens_per_second=1234.6 elapsed_seconds=3",
        }), "one object a line, properties in the documented order; rates as the floats they are");
        var contents = TrainingLog.Read(_path);
        Assert.That(contents.Losses, Is.EqualTo(new[] { (1, 1.0), (2, 0.5), (3, (double)(1f / 3)) }));
        Assert.That(contents.Evaluations.Select(e => e.Step), Is.EqualTo(new[] { 2 }));
        Assert.That(contents.Evaluations[0].Metrics, Is.EquivalentTo(Metrics(0.2)));
    }

    [Test]
    public void OpeningAtAResumeStep_KeepsThatStepAndBefore_AndDropsLaterAndTornLines()
    {
        WriteSteps(5);
        File.AppendAllText(_path, "{\"step\":6,\"loss\":0.16");   // torn by a crash mid-line

        using (var log = TrainingLog.Open(_path, 4))
        {
            Assert.That(TrainingLog.Read(_path).Losses.Select(l => l.Step), Is.EqualTo(new[] { 1, 2, 3, 4 }));
            log.WriteStep(Step(5, 0.125f));
            log.WriteEvaluation(5, Metrics(0.9), isBest: true);
        }

        var contents = TrainingLog.Read(_path);
        Assert.That(contents.Losses, Is.EqualTo(new[] { (1, 1.0), (2, 0.5), (3, (double)(1f / 3)), (4, 0.25), (5, 0.125) }));
        Assert.That(contents.Evaluations.Select(e => e.Step), Is.EqualTo(new[] { 2, 4, 5 }), "the evaluation of step 4 is kept, the old one of 5 is not");
        Assert.That(contents.Evaluations[2].Metrics[MetricKind.Accuracy], Is.EqualTo(0.9));
        Assert.That(File.Exists(_path + ".tmp"), Is.False);
    }

    [Test]
    public void OpeningANewRun_EmptiesTheLog()
    {
        WriteSteps(3);
        using (TrainingLog.Open(_path, 0))
        {
        }
        Assert.That(new FileInfo(_path).Length, Is.Zero);
        Assert.That(() => TrainingLog.Open(_path, -1), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void ANonFiniteLossIsWrittenAsNull_AndReadAsNaN()
    {
        using (var log = TrainingLog.Open(_path, 0))
        {
            log.WriteStep(Step(1, float.NaN));
            log.WriteStep(Step(2, float.PositiveInfinity));
            log.WriteEvaluation(2, new Dictionary<MetricKind, double> { [MetricKind.Pearson] = double.NaN, [MetricKind.Accuracy] = 0.5 }, isBest: false);
        }
        string[] lines = File.ReadAllLines(_path);
        Assert.That(lines[0], Does.Contain("\"loss\":null"));
        Assert.That(lines[1], Does.Contain("\"loss\":null"));
        Assert.That(lines[2], Does.Contain("\"pearson\":null"));

        var contents = TrainingLog.Read(_path);
        Assert.That(contents.Losses.Select(l => l.Step), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(contents.Losses.Select(l => l.Loss), Has.All.NaN);
        Assert.That(contents.Evaluations[0].Metrics.Keys, Is.EqualTo(new[] { MetricKind.Accuracy }), "a null metric is left out");
    }

    [Test]
    public void ReadNamesTheFileAndLineOfAMalformedLine()
    {
        File.WriteAllLines(_path, ["{\"step\":1,\"loss\":1}", "", "{\"loss\":2}", "{\"step\":3,\"loss\":3}"]);
        Assert.That(() => TrainingLog.Read(_path), Throws.TypeOf<InvalidDataException>().With.Message.Contains($"{_path}:3"));
        File.WriteAllLines(_path, ["{\"step\":1,\"loss\":1}", "{\"step\":2,"]);
        Assert.That(() => TrainingLog.Read(_path), Throws.TypeOf<InvalidDataException>().With.Message.Contains($"{_path}:2"));
    }

    /// <summary>A line as "name=value ...", objects in braces, numbers read back as doubles (rates as floats).</summary>
    private static string Shape(string line)
    {
        using var document = JsonDocument.Parse(line);
        return Describe(document.RootElement, inRates: false);
    }

    private static string Describe(JsonElement element, bool inRates) => element.ValueKind switch
    {
        JsonValueKind.Object => string.Join(' ', element.EnumerateObject().Select(p =>
            p.Value.ValueKind == JsonValueKind.Object ? $"{p.Name}={{{Describe(p.Value, p.Name == "learning_rates")}}}" : $"{p.Name}={Describe(p.Value, inRates)}")),
        JsonValueKind.Number => inRates ? element.GetSingle().ToString("R", CultureInfo.InvariantCulture) : element.GetDouble().ToString("R", CultureInfo.InvariantCulture),
        _ => element.ToString(),
    };
}
