using DePT.Benchmarks.Results;
using DePT.Tests.IO;

namespace DePT.Tests.Benchmarks;

/// <summary>dept-bench/1 files: statistics, reading and writing, and the merge of our run with PyTorch's (ratios, targets, markdown).</summary>
public class BenchResultsTests
{
    [Test]
    public void StepStatistics_InterpolatesPercentilesAsNumpy()
    {
        var random = TestContext.CurrentContext.Random;
        double[] values = [.. Enumerable.Range(1, 10).Select(i => (double)i).OrderBy(_ => random.Next())];

        var stats = StepStatistics.Of(values);

        Assert.Multiple(() =>
        {
            Assert.That(stats.Median, Is.EqualTo(5.5).Within(1e-12));
            Assert.That(stats.P10, Is.EqualTo(1.9).Within(1e-12));
            Assert.That(stats.P90, Is.EqualTo(9.1).Within(1e-12));
            Assert.That(stats.Count, Is.EqualTo(10));
            Assert.That(StepStatistics.Of([4.25]), Is.EqualTo(new StepStatistics(4.25, 4.25, 4.25, 1)));
            Assert.Throws<ArgumentException>(() => StepStatistics.Of([]));
            Assert.Throws<ArgumentException>(() => StepStatistics.Of([1, double.NaN]));
        });
    }

    [Test]
    public void Json_RoundTripsWithTheSchemaNames()
    {
        var run = Run("dept", Row("t5-base", "dept", 60, 30, 12.5, 3.25) with { PeakGibDriver = null, Loss = 10.4 }, Error("t5-3b", "pt", 100, 0));
        using var folder = new TemporaryFolder();
        string path = folder.File("dept.json");

        BenchJson.Write(path, run);
        string text = File.ReadAllText(path);
        var back = BenchJson.Read(path);

        Assert.Multiple(() =>
        {
            foreach (string name in new[] { "\"schema\": \"dept-bench/1\"", "\"implementation\": \"dept\"", "\"bf16_matmul_tflops\"", "\"copy_gbps\"",
                         "\"prompt_len\": 60", "\"trainable_params\"", "\"dynamic_padding\": false", "\"train_step_ms\": 12.5", "\"train_step_ms_p10\"",
                         "\"train_step_ms_p90\"", "\"timed_steps\"", "\"peak_gib\": 3.25", "\"peak_gib_driver\": null", "\"train_tokens_per_s\"",
                         "\"step_tflop\"", "\"achieved_tflops\"", "\"infer_ms\"", "\"infer_sequences_per_s\"", "\"error\": \"out of device memory\"" })
                Assert.That(text, Does.Contain(name));
            Assert.That(text, Does.Not.Contain("\"variant\""), "extras are left out when null");
            Assert.That(back.Rows, Is.EqualTo(run.Rows));
            Assert.That(back.Ceilings, Is.EqualTo(run.Ceilings));
            Assert.That(Directory.GetFiles(folder.Path), Has.Length.EqualTo(1), "no temporary file left behind");
        });
    }

    [Test]
    public void Json_ReadsPythonNonFiniteNumbersAsNull()
    {
        const string json = """
            {"schema": "dept-bench/1", "implementation": "pytorch", "device": "NaN-named \"Infinity\" GPU",
             "rows": [{"model": "t5-base", "method": "pt", "prompt_len": 100, "batch": 32, "train_step_ms": NaN, "peak_gib": -Infinity, "infer_ms": 3.5}]}
            """;

        var run = BenchJson.Parse(json, "pytorch.json");

        Assert.Multiple(() =>
        {
            Assert.That(run.Device, Is.EqualTo("NaN-named \"Infinity\" GPU"), "strings are left alone");
            Assert.That(run.Rows[0].TrainStepMs, Is.Null);
            Assert.That(run.Rows[0].PeakGib, Is.Null);
            Assert.That(run.Rows[0].InferMs, Is.EqualTo(3.5));
        });
    }

    [TestCase("""{"schema": "dept-bench/2", "implementation": "pytorch", "rows": []}""", "dept-bench/2")]
    [TestCase("""{"schema": "dept-bench/1", "implementation": "", "rows": []}""", "implementation")]
    [TestCase("""{"schema": "dept-bench/1", "implementation": "pytorch", "rows": [{"method": "pt"}]}""", "rows[0]")]
    [TestCase("""{"schema": "dept-bench/1", "implementation": "pytorch", "rows": [ """, "not a dept-bench/1 JSON file")]
    [TestCase("null", "JSON null")]
    public void Json_RejectsBadFilesNamingTheFileAndTheProblem(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => BenchJson.Parse(json, "their.json"));
        Assert.That(e!.Message, Does.StartWith("their.json").And.Contain(expected));
    }

    [Test]
    public void Json_MissingFile_IsNamed()
    {
        string path = Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}.json");
        var e = Assert.Throws<FileNotFoundException>(() => BenchJson.Read(path));
        Assert.That(e!.Message, Does.Contain(path));
    }

    [Test]
    public void Comparison_ComputesRatiosAndJudgesTargets()
    {
        var random = TestContext.CurrentContext.Random;
        double basePt = random.NextDouble(20, 60), largePt = random.NextDouble(60, 200);
        double baseRatio = random.NextDouble(0.5, 0.79), largeRatio = random.NextDouble(0.81, 1.2);
        double baseMemory = random.NextDouble(2, 10), theirFactor = random.NextDouble(2.5, 4), theirLargeFactor = random.NextDouble(1.05, 1.9);
        var ours = Run("dept",
            Row("t5-large", "dept", 60, 30, largePt * largeRatio, 9 * largeRatio),
            Row("t5-base", "pt", 100, 0, basePt, baseMemory),
            Row("t5-base", "frozen", 0, 0, basePt * 0.5, baseMemory * 0.9),
            Row("t5-base", "dept", 60, 30, basePt * baseRatio, baseMemory * baseRatio),
            Row("t5-large", "pt", 100, 0, largePt, 9));
        var pytorch = Run("pytorch",
            Row("t5-base", "pt", 100, 0, basePt * theirFactor, baseMemory * theirFactor),
            Row("t5-base", "dept", 60, 30, basePt * baseRatio * theirFactor, baseMemory * baseRatio * theirFactor),
            Row("t5-large", "dept", 60, 30, largePt * largeRatio * theirLargeFactor, 9 * largeRatio * theirLargeFactor));

        var comparison = ResultsComparison.Build(ours, pytorch);

        ComparedRow Find(string impl, string model, string method) => comparison.Rows.Single(r => r.Implementation == impl && r.Row.Model == model && r.Row.Method == method);
        TargetCheck Target(string model, string what) => comparison.Targets.Single(t => t.Model == model && t.What.StartsWith(what, StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(comparison.Rows.Select(r => (r.Row.Model, r.Row.Method, r.Implementation)), Is.EqualTo(new[]
            {
                ("t5-base", "frozen", "dept"), ("t5-base", "pt", "dept"), ("t5-base", "pt", "pytorch"), ("t5-base", "dept", "dept"),
                ("t5-base", "dept", "pytorch"), ("t5-large", "pt", "dept"), ("t5-large", "dept", "dept"), ("t5-large", "dept", "pytorch"),
            }), "ordered by model, method, ours first");
            Assert.That(Find("dept", "t5-base", "dept").DeptOverPtTime, Is.EqualTo(baseRatio).Within(1e-12));
            Assert.That(Find("dept", "t5-base", "dept").DeptOverPtMemory, Is.EqualTo(baseRatio).Within(1e-12));
            Assert.That(Find("pytorch", "t5-base", "dept").DeptOverPtTime, Is.EqualTo(baseRatio).Within(1e-12), "DePT/PT within PyTorch too");
            Assert.That(Find("dept", "t5-base", "pt").DeptOverPtTime, Is.Null, "only DePT rows get DePT/PT");
            Assert.That(Find("pytorch", "t5-base", "pt").OursOverThisTime, Is.EqualTo(1 / theirFactor).Within(1e-12));
            Assert.That(Find("pytorch", "t5-large", "dept").OursOverThisMemory, Is.EqualTo(1 / theirLargeFactor).Within(1e-12));
            Assert.That(Find("dept", "t5-base", "dept").OursOverThisTime, Is.Null, "ours/this sits on the other implementation's rows");

            Assert.That(comparison.Targets, Has.Count.EqualTo(8));
            Assert.That(Target("t5-base", "DePT/PT step time").Status, Is.EqualTo("MET"));
            Assert.That(Target("t5-base", "DePT/PT peak memory").Status, Is.EqualTo("MET"));
            Assert.That(Target("t5-large", "DePT/PT step time").Measured, Is.EqualTo(largeRatio).Within(1e-12));
            Assert.That(Target("t5-large", "DePT/PT step time").Status, Is.EqualTo("MISSED"));
            Assert.That(Target("t5-base", "ours/pytorch step time").Status, Is.EqualTo(1 / theirFactor <= 0.5 ? "MET" : "MISSED"));
            Assert.That(Target("t5-base", "ours/pytorch peak memory").Status, Is.EqualTo("MET"), $"1/{theirFactor} ≤ 0.7");
            Assert.That(Target("t5-large", "ours/pytorch step time").Status, Is.EqualTo("MISSED"), $"1/{theirLargeFactor} > 0.5");
            Assert.That(Target("t5-large", "ours/pytorch step time").Bound, Is.EqualTo(0.5));
            Assert.That(Target("t5-large", "ours/pytorch peak memory").Bound, Is.EqualTo(0.7));
        });
    }

    [Test]
    public void Comparison_WithoutPyTorch_MarksThoseTargetsNotMeasured()
    {
        var ours = Run("dept", Row("t5-base", "pt", 100, 0, 40, 5), Row("t5-base", "dept", 60, 30, 30, 4), Error("t5-large", "dept", 60, 30),
            Row("t5-large", "pt", 100, 0, 90, 9));

        var comparison = ResultsComparison.Build(ours, null);

        Assert.Multiple(() =>
        {
            Assert.That(comparison.Targets, Has.Count.EqualTo(8));
            Assert.That(comparison.Targets.Where(t => t.What.StartsWith("ours/", StringComparison.Ordinal)),
                Has.All.Matches<TargetCheck>(t => t.Status == "NOT MEASURED" && t.Missing == "no PyTorch result file was given"));
            var baseTime = comparison.Targets.Single(t => t.Model == "t5-base" && t.What.StartsWith("DePT/PT step", StringComparison.Ordinal));
            Assert.That((baseTime.Measured, baseTime.Status), Is.EqualTo(((double?)0.75, "MET")));
            var largeTime = comparison.Targets.Single(t => t.Model == "t5-large" && t.What.StartsWith("DePT/PT step", StringComparison.Ordinal));
            Assert.That(largeTime.Status, Is.EqualTo("NOT MEASURED"));
            Assert.That(largeTime.Missing, Does.Contain("out of device memory"));
        });
    }

    [Test]
    public void Comparison_VariantsOfTheOtherImplementationAreJudgedSeparately()
    {
        var ours = Run("dept", Row("t5-base", "pt", 100, 0, 40, 5), Row("t5-base", "dept", 60, 30, 30, 4));
        var pytorch = Run("pytorch", Row("t5-base", "dept", 60, 30, 100, 8) with { Variant = "eager" },
            Row("t5-base", "dept", 60, 30, 50, 7) with { Variant = "compile" });

        var comparison = ResultsComparison.Build(ours, pytorch);

        var times = comparison.Targets.Where(t => t.Model == "t5-base" && t.What.Contains("step time, DePT", StringComparison.Ordinal)).ToList();
        Assert.That(times.Select(t => (t.What, t.Measured, t.Status)), Is.EquivalentTo(new[]
        {
            ("ours/pytorch (compile) step time, DePT 60/30", (double?)0.6, "MISSED"),
            ("ours/pytorch (eager) step time, DePT 60/30", (double?)0.3, "MET"),
        }));
    }

    [Test]
    public void Markdown_HoldsEveryRowTheTargetsAndTheFailures()
    {
        var ours = Run("dept", Row("t5-base", "pt", 100, 0, 41.25, 5.5), Row("t5-base", "dept", 60, 30, 30.5, 4.125),
            Error("t5-3b", "dept", 60, 30) with { Error = "out of device memory | asked for 3 GiB" });
        var pytorch = Run("pytorch", Row("t5-base", "dept", 60, 30, 110, 9.75));

        string md = ResultsMarkdown.Render(ResultsComparison.Build(ours, pytorch));

        Assert.Multiple(() =>
        {
            Assert.That(md, Does.Contain("| model | B | padding | method | impl | step ms (p10–p90) | peak GiB | tokens/s | TFLOP/s |"));
            Assert.That(md, Does.Contain("| t5-base | 32 | 256 | PT 100 | dept | 41.25 (39.19–44.55) | 5.50 |"));
            Assert.That(md, Does.Contain("| t5-base | 32 | 256 | DePT 60/30 | dept | 30.50 "));
            Assert.That(md, Does.Contain("| 0.739 | 0.750 |"), "DePT/PT time 30.5/41.25 and memory 4.125/5.5");
            Assert.That(md, Does.Contain("| t5-base | 32 | 256 | DePT 60/30 | pytorch | 110.00 "));
            Assert.That(md, Does.Contain("| 0.277 | 0.423 |"), "ours/this: 30.5/110 and 4.125/9.75");
            Assert.That(md, Does.Contain("| t5-base | DePT/PT step time (dept) | ≤ 0.80 | 0.739 | MET |"));
            Assert.That(md, Does.Contain("| t5-base | ours/pytorch step time, DePT 60/30 | ≤ 0.50 | 0.277 | MET |"));
            Assert.That(md, Does.Contain("| t5-large | DePT/PT step time (dept) | ≤ 0.80 | – (no dept row for B=32"));
            Assert.That(md, Does.Contain("## Rows that failed"));
            Assert.That(md, Does.Contain("dept t5-3b B=32 padded DePT 60/30: out of device memory / asked for 3 GiB"));
            Assert.That(md, Does.Contain("bf16 GEMM 1,234 TFLOP/s, copy 4,250 GB/s"), "thousands grouped, invariant culture");
        });
    }

    private static BenchRun Run(string implementation, params BenchRow[] rows) => new()
    {
        Implementation = implementation, Date = "2026-11-29T16:50:00Z", Commit = "abc1234", Device = "NVIDIA H200",
        Ceilings = new BenchCeilings { Bf16MatmulTflops = 1234, CopyGbps = 4250 }, Rows = rows,
    };

    private static BenchRow Row(string model, string method, int promptLength, int rank, double stepMs, double peakGib) => new()
    {
        Model = model, Method = method, PromptLen = promptLength, Rank = rank, TrainableParams = promptLength * 768L + rank * 1024L,
        Batch = 32, InputLen = 256, TargetLen = 8, DynamicPadding = false,
        TrainStepMs = stepMs, TrainStepMsP10 = stepMs * 0.95, TrainStepMsP90 = stepMs * 1.08, TimedSteps = 50, PeakGib = peakGib, PeakGibDriver = peakGib * 1.1,
        TrainTokensPerS = 32 * (promptLength + 264) / (stepMs / 1e3), StepTflop = 5.1, AchievedTflops = 5.1 / (stepMs / 1e3),
        InferMs = stepMs / 2, InferSequencesPerS = 32 / (stepMs / 2e3),
    };

    private static BenchRow Error(string model, string method, int promptLength, int rank) => new()
    {
        Model = model, Method = method, PromptLen = promptLength, Rank = rank, Batch = 32, InputLen = 256, TargetLen = 8, Error = "out of device memory",
    };
}
