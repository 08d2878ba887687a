using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DePT.Native;

namespace DePT.Tests.Native;

/// <summary>The NCCL binding without a GPU: where libnccl is looked for, the environment NCCL starts with, the ABI, and errors.</summary>
public partial class NcclBindingTests
{
    [Test]
    public void TouchingTheBinding_TurnsNvlinkMulticastOff_InTheCEnvironmentNcclReads()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("NCCL runs on Linux.");
        Environment.SetEnvironmentVariable(NcclEnvironment.NvlsVariable, "1");
        setenv(NcclEnvironment.NvlsVariable, "1", 1);   // as if the user had asked for NVLS

        // Nccl's static constructor runs it before any call: the class has one and is not beforefieldinit, so the
        // runtime must run it before the first call to any of its methods. It may have run already in this process.
        Assert.That(typeof(Nccl).TypeInitializer, Is.Not.Null);
        Assert.That(typeof(Nccl).Attributes & TypeAttributes.BeforeFieldInit, Is.EqualTo((TypeAttributes)0));
        NcclEnvironment.DisableNvlinkMulticast();

        Assert.That(Marshal.PtrToStringUTF8(getenv(NcclEnvironment.NvlsVariable)), Is.EqualTo("0"), "what NCCL's getenv sees");
        Assert.That(Environment.GetEnvironmentVariable(NcclEnvironment.NvlsVariable), Is.EqualTo("0"), "what child processes inherit");
    }

    [Test]
    public void NothingBindsNvlinkMulticast()
    {
        var bound = typeof(CudaDriver).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(m => m.Name.StartsWith("cuMulticast", StringComparison.Ordinal)).Select(m => m.Name);

        Assert.That(bound, Is.Empty, "NVLink multicast can take a shared host's GPUs out of service; never bind it");
    }

    [Test]
    public void Candidates_TryDeptNcclPathFirst_AsAFileOrAFolder()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("Checks the Linux file names.");
        string? saved = Environment.GetEnvironmentVariable(NativeLibraries.NcclPathVariable);
        string folder = Path.GetTempPath();
        try
        {
            Environment.SetEnvironmentVariable(NativeLibraries.NcclPathVariable, "/opt/site-packages/nvidia/nccl/lib/libnccl.so.2");
            Assert.That(NativeLibraries.Candidates(NativeLibraryKind.Nccl), Is.EqualTo(new[] { "/opt/site-packages/nvidia/nccl/lib/libnccl.so.2", "libnccl.so.2" }));

            Environment.SetEnvironmentVariable(NativeLibraries.NcclPathVariable, folder);
            Assert.That(NativeLibraries.Candidates(NativeLibraryKind.Nccl), Is.EqualTo(new[] { Path.Combine(folder, "libnccl.so.2"), "libnccl.so.2" }));

            Environment.SetEnvironmentVariable(NativeLibraries.NcclPathVariable, null);
            Assert.That(NativeLibraries.Candidates(NativeLibraryKind.Nccl), Is.EqualTo(new[] { "libnccl.so.2" }));
        }
        finally
        {
            Environment.SetEnvironmentVariable(NativeLibraries.NcclPathVariable, saved);
        }
    }

    [Test]
    public void CallingNccl_WithoutLibnccl_ThrowsDllNotFoundNamingEveryCandidateAndTheVariable()
    {
        if (NativeLibraries.TryLoad(NativeLibraryKind.Nccl))
            Assert.Ignore($"{NativeLibraries.LoadedName(NativeLibraryKind.Nccl)} is installed here; this test needs a machine without it.");

        var e = Assert.Throws<DllNotFoundException>(() => Nccl.ncclGetVersion(out _));

        Assert.That(e!.Message, Does.StartWith($"NCCL (libnccl) not found: tried {string.Join(", ", NativeLibraries.Candidates(NativeLibraryKind.Nccl))}. "));
        Assert.That(e.Message, Does.Contain(NativeLibraries.NcclPathVariable));
    }

    [Test]
    public void NcclException_NamesTheCallAndTheStatus()
    {
        var e = NcclException.From(ncclResult_t.ncclInvalidUsage, "Nccl.ncclAllReduce(send, recv, count,\n    type, op, comm, stream)");

        Assert.That(e.Call, Is.EqualTo("ncclAllReduce(send, recv, count, type, op, comm, stream)"));
        Assert.That(e.Status, Is.EqualTo(5));
        Assert.That(e.ErrorName, Is.EqualTo("ncclInvalidUsage"));
        Assert.That(e.Message, Does.StartWith("ncclAllReduce(send, recv, count, type, op, comm, stream) failed: ncclInvalidUsage (5)"));
    }

    [Test]
    public void Types_MatchNcclH()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Unsafe.SizeOf<ncclComm_t>(), Is.EqualTo(IntPtr.Size));
            Assert.That(Unsafe.SizeOf<ncclUniqueId>(), Is.EqualTo(128), "NCCL_UNIQUE_ID_BYTES, passed by value");
            Assert.That(Unsafe.SizeOf<ncclResult_t>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<ncclDataType_t>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<ncclRedOp_t>(), Is.EqualTo(4));
            Assert.That((int)ncclDataType_t.ncclFloat32, Is.EqualTo(7));
            Assert.That((int)ncclDataType_t.ncclBfloat16, Is.EqualTo(9));
            Assert.That((int)ncclRedOp_t.ncclSum, Is.EqualTo(0));
        });
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint getenv(string name);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
