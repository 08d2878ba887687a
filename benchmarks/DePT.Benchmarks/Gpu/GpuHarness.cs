using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using DePT.Backends.Cuda;
using DePT.Benchmarks.Plan;
using DePT.Benchmarks.Results;
using DePT.Devices;
using DePT.Models.Llama;
using DePT.Models.T5;
using DePT.Tensors;

namespace DePT.Benchmarks.Gpu;

/// <summary>
/// A whole run on the GPU: the ceilings, then per model its random bf16 weights made on the device and every row of the
/// plan on them. Each row is written to dept.json as soon as it is measured. A row that fails (out of memory included)
/// becomes an error row and the run goes on; rows not started before the time limit are recorded as skipped; a watchdog
/// ends a run that overruns the limit by <see cref="WatchdogGrace"/> after writing what it has.
/// </summary>
internal sealed class GpuHarness(BenchPlan plan, string outFolder, string? commit, BenchRun? pytorch, int ordinal)
{
    /// <summary>Exit code when no CUDA device is usable.</summary>
    public const int NoGpuExitCode = 2;

    /// <summary>Exit code when the watchdog ended the run.</summary>
    public const int WatchdogExitCode = 3;

    /// <summary>How long past its time limit a run may go before the watchdog ends it.</summary>
    public static readonly TimeSpan WatchdogGrace = TimeSpan.FromSeconds(30);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<BenchRow> _rows = [];
    private readonly object _gate = new();
    private BenchRun _header = new() { Implementation = BenchRun.Ours };
    private volatile string _current = "start-up";

    /// <summary>Runs the plan; returns 0 when every row was measured, 1 when some failed or were skipped or the run could not start, 2 without a GPU.</summary>
    public int Run()
    {
        var probe = CudaProbe.Run();
        if (!probe.IsAvailable)
        {
            Console.Error.WriteLine($"DePT.Benchmarks needs a CUDA GPU and found none ({probe.Reason}). It is meant for the GPU machine; " +
                                    "`DePT.Benchmarks merge` works anywhere.");
            return NoGpuExitCode;
        }
        Directory.CreateDirectory(outFolder);
        using var watchdog = new Timer(_ => Watchdog(), null, plan.TimeLimit + WatchdogGrace, Timeout.InfiniteTimeSpan);
        try
        {
            return RunPlan(probe);
        }
        catch (Exception e) when (e is not OutOfMemoryException || e is DeviceOutOfMemoryException)
        {
            // Start-up failures (device, kernel compilation, cuBLAS) end the run: no row could succeed after them.
            Console.Error.WriteLine($"error during {_current}: {Describe(e)}");
            Save();
            return 1;
        }
    }

    private int RunPlan(CudaProbe probe)
    {
        Log($"plan {plan.Mode}: {plan.Cases.Count} rows, {plan.WarmupSteps} warm-up + {plan.TimedSteps} timed steps, " +
            $"{plan.InferWarmup} + {plan.InferRuns} generations, time limit {plan.TimeLimit.TotalSeconds:F0} s; results in {Path.GetFullPath(outFolder)}");

        using var backend = CudaBackend.Open(ordinal);
        var device = backend.CudaDevice;
        Log($"device {device} with {device.TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB; driver {probe.DriverVersionText}");
        _current = "kernel load";
        var kernels = device.Kernels;
        Log($"kernels: {kernels.LoadPath} from {kernels.Origin} at {_clock.Elapsed.TotalSeconds:F1} s");

        _current = "ceilings";
        var ceilings = DeviceCeilings.Measure(backend, plan.Mode == "quick" ? 20 : 50);
        Log($"ceilings: bf16 GEMM {ceilings.Bf16MatmulTflops:F0} TFLOP/s, copy {ceilings.CopyGbps:F0} GB/s");
        _header = Header(device, probe, kernels.LoadPath.ToString(), ceilings);
        Save();

        var runner = new RowRunner(backend, plan, Log);
        foreach (var group in plan.Cases.GroupBy(c => c.Model))
            RunModel(backend, runner, group.Key, [.. group]);

        Save();
        var comparison = ResultFiles.WriteReport(outFolder, Snapshot(), pytorch, Log);
        ResultFiles.LogTargets(comparison, Log);
        int failed = _rows.Count(r => r.Error is not null);
        Log($"done in {_clock.Elapsed.TotalSeconds:F1} s: {_rows.Count - failed} rows measured, {failed} failed or skipped");
        return failed == 0 ? 0 : 1;
    }

    private void RunModel(CudaBackend backend, RowRunner runner, BenchShape shape, List<BenchCase> cases)
    {
        if (OverTime())
        {
            foreach (var c in cases) Record(c, Skipped());
            return;
        }
        var pool = backend.CudaDevice.Pool;
        IDisposable model;
        Func<BenchCase, long, BenchRow> run;
        long freeBefore;
        try
        {
            _current = $"{shape.Name} weights";
            pool.ReleaseCached();
            freeBefore = backend.CudaDevice.MemoryInfo().Free;
            var clock = Stopwatch.StartNew();
            long weightBytes;
            switch (shape)
            {
                case ModelShape t5:
                {
                    var t5Model = new T5Model(backend, T5Weights.CreateRandom(backend, t5.ToConfig(), DType.BF16, seed: 20261129));
                    (model, run, weightBytes) = (t5Model, (c, free) => runner.Run(c, t5Model, free), t5Model.Weights.ByteSize);
                    break;
                }
                case LlamaShape llama:
                {
                    var llamaModel = new LlamaModel(backend, LlamaWeights.CreateRandom(backend, llama.ToConfig(), DType.BF16, seed: 20261129));
                    (model, run, weightBytes) = (llamaModel, (c, free) => runner.Run(c, llamaModel, free), llamaModel.Weights.ByteSize);
                    break;
                }
                default:
                    throw new NotSupportedException($"No model is built for shapes of type {shape.GetType().Name}.");
            }
            backend.Synchronize();
            Log($"{shape}: {shape.ParameterCount / 1e6:F1} M parameters, {weightBytes / (1024.0 * 1024 * 1024):F2} GiB of bf16 weights made in {clock.Elapsed.TotalSeconds:F1} s");
        }
        catch (Exception e) when (e is not OutOfMemoryException || e is DeviceOutOfMemoryException)
        {
            string why = $"the weights could not be made: {Describe(e)}";
            foreach (var c in cases) Record(c, why);
            Recover(backend);
            return;
        }

        using (model)
        {
            foreach (var c in cases)
            {
                if (OverTime())
                {
                    Record(c, Skipped());
                    continue;
                }
                _current = c.ToString();
                var clock = Stopwatch.StartNew();
                try
                {
                    pool.ReleaseCached();
                    var row = run(c, freeBefore);
                    Record(row);
                    Log($"{c}: step {row.TrainStepMs:F2} ms (p10 {row.TrainStepMsP10:F2}, p90 {row.TrainStepMsP90:F2}), peak {row.PeakGib:F2} GiB " +
                        $"(driver {row.PeakGibDriver:F2}), {row.AchievedTflops:F1} TFLOP/s; infer {row.InferMs:F2} ms ({row.InferNewTokens} tokens); " +
                        $"loss {row.Loss:F3}; {clock.Elapsed.TotalSeconds:F1} s");
                }
                catch (Exception e) when (e is not OutOfMemoryException || e is DeviceOutOfMemoryException)
                {
                    Record(c, Describe(e));
                    Recover(backend);
                }
            }
        }
        Recover(backend);
    }

    private static string Describe(Exception e) => e is DeviceOutOfMemoryException
        ? $"out of device memory: {e.Message}"
        : $"{e.GetType().Name}: {e.Message}";

    /// <summary>After a failure: wait for the stream (a sticky error surfaces here and is reported), give cached memory back.</summary>
    private void Recover(CudaBackend backend)
    {
        try
        {
            backend.Synchronize();
            backend.CudaDevice.Pool.ReleaseCached();
        }
        catch (Exception e) when (e is not OutOfMemoryException || e is DeviceOutOfMemoryException)
        {
            Log($"warning: the device did not recover cleanly: {Describe(e)}");
        }
    }

    private bool OverTime() => _clock.Elapsed > plan.TimeLimit;

    private string Skipped() => $"skipped: the run's time limit of {plan.TimeLimit.TotalSeconds:F0} s was reached (--time-limit)";

    private void Record(BenchCase c, string error)
    {
        Log($"{c}: ERROR {error}");
        Record(new BenchRow
        {
            Model = c.Model.Name, Method = c.Method.Kind, PromptLen = c.Method.PromptLength, Rank = c.Method.Rank,
            TrainableParams = c.TrainableParameters, Batch = c.Batch,
            InputLen = c.Model.InputLength, TargetLen = c.Model.TargetLength, DynamicPadding = c.DynamicPadding, Error = error,
        });
    }

    private void Record(BenchRow row)
    {
        lock (_gate) _rows.Add(row);
        Save();
    }

    private BenchRun Snapshot()
    {
        lock (_gate) return _header with { Rows = [.. _rows] };
    }

    private void Save()
    {
        lock (_gate) BenchJson.Write(Path.Combine(outFolder, ResultFiles.OursFileName), Snapshot());
    }

    private void Watchdog()
    {
        Console.Error.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1} s] watchdog: the run passed its time limit of {plan.TimeLimit.TotalSeconds:F0} s " +
                                $"by {WatchdogGrace.TotalSeconds:F0} s while at '{_current}'; writing the {_rows.Count} rows measured and exiting.");
        if (Monitor.TryEnter(_gate, TimeSpan.FromSeconds(5)))
        {
            try
            {
                var partial = Snapshot();
                BenchJson.Write(Path.Combine(outFolder, ResultFiles.OursFileName), partial);
                File.WriteAllText(Path.Combine(outFolder, ResultFiles.MarkdownFileName),
                    ResultsMarkdown.Render(ResultsComparison.Build(partial, pytorch)));
            }
            finally
            {
                Monitor.Exit(_gate);
            }
        }
        Environment.Exit(WatchdogExitCode);
    }

    private BenchRun Header(CudaDevice device, CudaProbe probe, string kernelPath, BenchCeilings ceilings) => new()
    {
        Implementation = BenchRun.Ours,
        Date = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        Commit = commit ?? BuildCommit() ?? "unknown",
        Device = device.Name,
        Software = new JsonObject
        {
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["cuda_driver"] = probe.DriverVersionText,
            ["cublas"] = CudaLibraries.Cublas,
            ["kernels"] = kernelPath,
            ["harness"] = typeof(GpuHarness).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
            ["mode"] = plan.Mode,
            ["warmup_steps"] = plan.WarmupSteps,
            ["infer_runs"] = plan.InferRuns,
        },
        Ceilings = ceilings,
    };

    /// <summary>The commit the harness was built from (the SDK stamps it after '+' in the informational version).</summary>
    private static string? BuildCommit()
    {
        string? version = typeof(GpuHarness).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        int plus = version?.IndexOf('+') ?? -1;
        return plus >= 0 ? version![(plus + 1)..] : null;
    }

    private void Log(string message) => Console.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1} s] {message}");
}
