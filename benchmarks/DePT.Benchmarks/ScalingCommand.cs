using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DePT.Backends;
using DePT.Backends.Cuda;
using DePT.Benchmarks.Gpu;
using DePT.Benchmarks.Plan;
using DePT.Devices;
using DePT.Distributed;
using DePT.Tensors;

namespace DePT.Benchmarks;

/// <summary>
/// <c>DePT.Benchmarks scaling</c>: the data-parallel step time of one T5 shape at one global batch on 1, 2, ... GPUs of this
/// host (NCCL), with the speedup and efficiency against one GPU; writes scaling.json and scaling.md.
/// </summary>
internal static class ScalingCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = $"The T5 shape, of: {string.Join(", ", ModelShapes.All.Select(m => m.Name))}.", DefaultValueFactory = _ => "t5-large" };
        var batch = new Option<int>("--batch") { Description = "Global batch (rows per step over all GPUs).", DefaultValueFactory = _ => 64 };
        var gpus = new Option<int[]>("--gpus") { Description = "GPU counts to measure (default: 1, 2, 4, 8 up to the devices present).", AllowMultipleArgumentsPerToken = true };
        var method = new Option<string>("--method") { Description = "pt, pt:L, dept (60, 30) or dept:m:r.", DefaultValueFactory = _ => "dept" };
        var steps = new Option<int>("--steps") { Description = "Timed steps per point.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps per point.", DefaultValueFactory = _ => 3 };
        var output = new Option<string>("--out") { Description = "Folder for scaling.json and scaling.md.", DefaultValueFactory = _ => Path.Combine("benchmarks", "results", "scaling") };
        var command = new Command("scaling", "Data-parallel scaling: the training-step time of a T5 shape (random bf16 weights, s = 256, target 8, dropout 0.1) " +
                                             "at one global batch on 1, 2, ... GPUs through NCCL; speedup and efficiency against one GPU. Exit codes: 0 every point measured, 1 some failed, 2 no CUDA GPU.")
        {
            model, batch, gpus, method, steps, warmup, output,
        };
        command.SetAction(result =>
        {
            ModelShape shape;
            BenchMethod benchMethod;
            try
            {
                shape = ModelShapes.Find(result.GetValue(model)!);
                benchMethod = BenchMethod.Parse(result.GetValue(method)!);
                if (!benchMethod.HasPrompt) throw new ArgumentException("--method: the scaling run trains a prompt; choose pt or dept.");
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            int globalBatch = result.GetValue(batch), timed = result.GetValue(steps), warm = result.GetValue(warmup);
            if (globalBatch < 1 || timed < 1 || warm < 0)
            {
                Console.Error.WriteLine("error: --batch and --steps must be positive, --warmup not negative.");
                return 1;
            }
            var probe = CudaProbe.Run();
            if (!probe.IsAvailable)
            {
                Console.Error.WriteLine($"DePT.Benchmarks scaling needs CUDA GPUs and found none ({probe.Reason}).");
                return GpuHarness.NoGpuExitCode;
            }
            int[] counts = result.GetValue(gpus) is { Length: > 0 } given ? given : [.. new[] { 1, 2, 4, 8 }.Where(n => n <= probe.DeviceCount)];
            return Run(new ScalingRunner(shape, benchMethod, globalBatch, DType.BF16, warm, timed), shape, benchMethod, counts, probe.DeviceCount, result.GetValue(output)!);
        });
        return command;
    }

    private static int Run(ScalingRunner runner, ModelShape shape, BenchMethod method, int[] counts, int devices, string folder)
    {
        Console.WriteLine($"{shape}, {method}; NCCL {NcclCommunicator.LibraryVersion()}, {devices} device(s)");
        var points = new List<ScalingPoint>();
        var failures = new List<string>();
        foreach (int n in counts)
        {
            if (n < 1 || n > devices)
            {
                failures.Add($"{n} GPUs: this machine has {devices}.");
                continue;
            }
            var backends = new List<CudaBackend>();
            try
            {
                for (int r = 0; r < n; r++) backends.Add(CudaBackend.Open(r));
                using var collective = n > 1 ? new NcclCollective(backends) : null;
                var point = runner.Measure([.. backends.Cast<IBackend>()], collective);
                points.Add(point);
                Console.WriteLine($"{n} GPU(s): step {point.Step.Median:F1} ms (p10 {point.Step.P10:F1}, p90 {point.Step.P90:F1})" +
                                  (point.AllReduceMs is double ms ? $", all-reduce {ms:F3} ms" : "") + $", peak {point.PeakGib:F1} GiB, loss {point.Loss:F3}");
            }
            catch (Exception e) when (e is not OutOfMemoryException || e is DeviceOutOfMemoryException)
            {
                failures.Add($"{n} GPUs: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                Console.Error.WriteLine($"{n} GPU(s) failed: {e.Message}");
            }
            finally
            {
                for (int r = backends.Count - 1; r >= 0; r--) backends[r].Dispose();
            }
        }
        Directory.CreateDirectory(folder);
        double? single = points.FirstOrDefault(p => p.Gpus == 1)?.Step.Median;
        var rows = points.Select(p => new
        {
            gpus = p.Gpus, global_batch = p.GlobalBatch, batch_per_gpu = (double)p.GlobalBatch / p.Gpus,
            step_ms = p.Step.Median, step_ms_p10 = p.Step.P10, step_ms_p90 = p.Step.P90, timed_steps = p.Step.Count,
            speedup = single / p.Step.Median, efficiency = single / (p.Gpus * p.Step.Median),
            allreduce_ms = p.AllReduceMs, peak_gib = p.PeakGib, loss = p.Loss, trainable_params = p.TrainableParameters,
        }).ToList();
        var report = new { schema = "dept-scaling/1", date = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture), model = shape.Name, method = method.ToString(), rows, failures };
        File.WriteAllText(Path.Combine(folder, "scaling.json"), JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        var table = new StringBuilder($"{shape.Name}, {method}, global batch {points.FirstOrDefault()?.GlobalBatch}, bf16, s 256, target 8\n\n")
            .AppendLine("| GPUs | rows/GPU | step ms (p10–p90) | speedup | efficiency | all-reduce ms | peak GiB/GPU |")
            .AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in rows)
            table.AppendLine(CultureInfo.InvariantCulture, $"| {r.gpus} | {r.batch_per_gpu:0.#} | {r.step_ms:F1} ({r.step_ms_p10:F1}–{r.step_ms_p90:F1}) | {r.speedup:F2} | {r.efficiency:P0} | {(r.allreduce_ms is double a ? a.ToString("F3", CultureInfo.InvariantCulture) : "–")} | {r.peak_gib:F1} |");
        foreach (string failure in failures) table.AppendLine(CultureInfo.InvariantCulture, $"\nnot measured: {failure}");
        File.WriteAllText(Path.Combine(folder, "scaling.md"), table.ToString());
        Console.WriteLine();
        Console.Write(table);
        return failures.Count == 0 ? 0 : 1;
    }
}
