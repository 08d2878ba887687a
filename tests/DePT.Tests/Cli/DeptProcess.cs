using System.Diagnostics;
using System.Reflection;

namespace DePT.Tests.Cli;

/// <summary>Runs the built <c>dept</c> CLI as a child process and captures its exit code, stdout and stderr.</summary>
internal static class DeptProcess
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    public static string CliPath => typeof(DeptProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "DeptCliPath").Value!;

    public static Result Run(string? standardInput, params string[] args) => Run(standardInput, null, args);

    /// <summary>Runs dept; <paramref name="whileRunning"/> (if any) is called with the live process once its streams are read.</summary>
    public static Result Run(string? standardInput, Action<Process>? whileRunning, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(CliPath);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["DEPT_DEBUG"] = null;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (standardInput is not null) process.StandardInput.Write(standardInput);
        process.StandardInput.Close();
        whileRunning?.Invoke(process);
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dept {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
