using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using DePT.Backends.Cpu;
using DePT.Backends.Cuda;
using DePT.Devices;
using DePT.Diagnostics;
using DePT.Tensors;

namespace DePT.Cli.Commands;

/// <summary><c>dept doctor</c>: what this machine offers, and one checked run of the fused input kernel.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var command = new Command("doctor", "Report the .NET runtime, CUDA driver, devices, libraries and kernel path, and check the fused DePT input kernel against the CPU reference.");
        command.SetAction(_ => Run());
        return command;
    }

    private static int Run()
    {
        Line(".NET", $"{RuntimeInformation.FrameworkDescription} on {RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture})");
        var probe = CudaProbe.Run();
        if (!probe.IsAvailable)
        {
            Line("CUDA", $"not available: {probe.Reason}");
            return CheckCpu();
        }
        Line("CUDA driver", $"{probe.DriverVersionText}, {probe.DeviceCount} device(s)");
        using var backend = CudaBackend.Open(0);
        var device = backend.CudaDevice;
        for (int i = 0; i < probe.DeviceCount; i++)
        {
            if (i == 0)
            {
                var (free, total) = device.MemoryInfo();
                Line($"device {i}", $"{device.Name}, sm_{device.ComputeCapabilityMajor}{device.ComputeCapabilityMinor}, {device.MultiprocessorCount} SMs, " +
                                    $"{ByteCount.Format(total)} ({ByteCount.Format(free)} free)");
            }
            else
            {
                Line($"device {i}", "present (not opened)");
            }
        }
        Line("cuBLAS", CudaLibraries.Cublas);
        Line("NVRTC", CudaLibraries.Nvrtc);
        Line("NCCL", CudaLibraries.Nccl);
        var clock = Stopwatch.StartNew();
        var kernels = device.Kernels;
        Line("kernels", $"{kernels.LoadPath} from {kernels.Origin} ({clock.ElapsedMilliseconds} ms)");

        var problem = PromptInputProblem.Bandwidth;
        double error = PromptInputCheck.ForwardError(backend, problem, DType.BF16, DType.BF16, seed: Environment.TickCount);
        var report = PromptInputCheck.MeasureForward(backend, problem, DType.BF16, DType.BF16);
        Line("fused input", $"bf16 out, bf16 emb, {problem}: relative error {error:E2} vs CPU reference (bound 1e-2)");
        Line("bandwidth", $"{report.Milliseconds * 1000:F1} us, {report.GigabytesPerSecond:F0} GB/s = {report.FractionOfCopy:P0} of the copy bandwidth ({report.CopyGigabytesPerSecond:F0} GB/s)");
        return error < 1e-2 ? 0 : 1;
    }

    private static int CheckCpu()
    {
        Line("backend", "checking the CPU backend instead");
        var problem = new PromptInputProblem(4, 48, 8, 256, 4, 64, 1000, NumPrompts: 2);
        var data = problem.Generate(Environment.TickCount);
        using var cpu = new CpuBackend();
        var clock = Stopwatch.StartNew();
        var actual = PromptInputCheck.RunForward(cpu, data, DType.F32, DType.F32);
        var elapsed = clock.Elapsed;
        var expected = Array.ConvertAll(PromptInputReference.Forward(data), v => (float)v);
        double error = ErrorMetrics.Relative(actual, expected);
        Line("fused input", $"CPU fp32, {problem}: relative error {error:E2} vs the double-precision formula (bound 1e-5), {elapsed.TotalMilliseconds:F1} ms");
        return error < 1e-5 ? 0 : 1;
    }

    private static void Line(string label, string text) => Console.WriteLine($"{label,-12} {text}");
}
