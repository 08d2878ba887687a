using System.Runtime.InteropServices;

namespace DePT.Native;

/// <summary>The NCCL settings this process always runs with, applied before the first call into libnccl.</summary>
internal static partial class NcclEnvironment
{
    /// <summary>NCCL's switch for NVLink SHARP (NVLS), its collectives over NVLink multicast memory.</summary>
    internal const string NvlsVariable = "NCCL_NVLS_ENABLE";

    /// <summary>
    /// Sets NCCL_NVLS_ENABLE=0, overriding any value the user gave. NVLS makes NCCL create NVLink multicast objects
    /// (cuMulticastCreate) on the NVSwitch fabric; on the shared multi-GPU hosts we run on, a failed or leaked multicast
    /// setup can take the host's GPUs out of service for every tenant, while the few hundred KB of prompt gradients we
    /// reduce gain nothing from it. Both environments are written: .NET's Environment.SetEnvironmentVariable only
    /// changes the runtime's own copy on Unix (what child processes inherit), and NCCL reads the C environment with
    /// getenv, which only setenv changes.
    /// </summary>
    internal static void DisableNvlinkMulticast()
    {
        Environment.SetEnvironmentVariable(NvlsVariable, "0");
        if (!OperatingSystem.IsWindows() && setenv(NvlsVariable, "0", 1) != 0)
            throw new InvalidOperationException($"setenv({NvlsVariable}, 0) failed (errno {Marshal.GetLastPInvokeError()}); NCCL must not start with NVLink multicast on.");
    }

    // "libc" is mapped by the runtime to the C library of the platform (libc.so.6 on glibc Linux).
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int setenv(string name, string value, int overwrite);
}
