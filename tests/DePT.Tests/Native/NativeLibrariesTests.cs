using DePT.Native;

namespace DePT.Tests.Native;

public class NativeLibrariesTests
{
    [Test]
    public void LoadFirst_WhenNoCandidateLoads_NamesTheFamilyAndEveryCandidateInOrder()
    {
        var suffix = Guid.NewGuid().ToString("N");
        string[] candidates = [$"libdept-missing-{suffix}.so.13", $"libdept-missing-{suffix}.so.12", $"dept-missing-{suffix}.dll"];

        var e = Assert.Throws<DllNotFoundException>(() =>
            NativeLibraries.LoadFirst("Test family (libdept-missing)", "Is it installed?", candidates));

        Assert.That(e!.Message, Is.EqualTo(
            $"Test family (libdept-missing) not found: tried {candidates[0]}, {candidates[1]}, {candidates[2]}. Is it installed?"));
    }

    [Test]
    public void LoadFirst_WhenNoCandidateIsKnown_SaysSo()
    {
        var e = Assert.Throws<DllNotFoundException>(() => NativeLibraries.LoadFirst("NCCL (libnccl)", "Install NCCL 2.", []));

        Assert.That(e!.Message, Does.StartWith("NCCL (libnccl) not found: no file name is known"));
    }

    [Test]
    public void LoadFirst_SkipsMissingCandidates_AndReturnsTheFirstThatLoads()
    {
        // The C library is on every machine this runs on, so it stands in for a present CUDA library.
        var present = OperatingSystem.IsWindows() ? "kernel32.dll"
            : OperatingSystem.IsLinux() ? "libc.so.6"
            : null;
        if (present is null)
        {
            Assert.Ignore("No always-present native library is known for this OS.");
        }

        var missing = $"libdept-missing-{Guid.NewGuid():N}.so.1";

        var (handle, name) = NativeLibraries.LoadFirst("C library", "unused", [missing, present!, "never-tried.so"]);

        Assert.That(name, Is.EqualTo(present));
        Assert.That(handle, Is.Not.EqualTo(nint.Zero));
    }

    [Test]
    public void Candidates_OnLinux_AreTheSupportedVersionsNewestFirst()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("Checks the Linux file names.");
        }

        Assert.Multiple(() =>
        {
            Assert.That(NativeLibraries.Candidates(NativeLibraryKind.Cuda), Is.EqualTo(new[] { "libcuda.so.1", "libcuda.so" }));
            Assert.That(NativeLibraries.Candidates(NativeLibraryKind.Cublas), Is.EqualTo(new[] { "libcublas.so.13", "libcublas.so.12" }));
            Assert.That(NativeLibraries.Candidates(NativeLibraryKind.Nvrtc), Is.EqualTo(new[] { "libnvrtc.so.13", "libnvrtc.so.12" }));
            Assert.That(NativeLibraries.Candidates(NativeLibraryKind.Nccl), Is.EqualTo(new[] { "libnccl.so.2" }));
        });
    }

    [Test]
    public void CallingTheDriver_WithoutLibcuda_ThrowsDllNotFoundNamingEveryCandidate() =>
        AssertCallThrowsWhenAbsent(NativeLibraryKind.Cuda, "CUDA driver (libcuda)", () => CudaDriver.cuDriverGetVersion(out _),
            "Is an NVIDIA driver installed?");

    [Test]
    public void CallingCublas_WithoutLibcublas_ThrowsDllNotFoundNamingEveryCandidate() =>
        AssertCallThrowsWhenAbsent(NativeLibraryKind.Cublas, "cuBLAS (libcublas)", () => CuBlas.cublasCreate_v2(out _));

    [Test]
    public void CallingNvrtc_WithoutLibnvrtc_ThrowsDllNotFoundNamingEveryCandidate() =>
        AssertCallThrowsWhenAbsent(NativeLibraryKind.Nvrtc, "NVRTC (libnvrtc)", () => Nvrtc.nvrtcVersion(out _, out _));

    [Test]
    public void TryLoad_ReportsTheSameMessageAsACall_AndLoadedNameMatchesTheOutcome()
    {
        var loaded = NativeLibraries.TryLoad(NativeLibraryKind.Cuda, out var failure);

        if (loaded)
        {
            Assert.That(failure, Is.Null);
            Assert.That(NativeLibraries.Candidates(NativeLibraryKind.Cuda), Does.Contain(NativeLibraries.LoadedName(NativeLibraryKind.Cuda)));
        }
        else
        {
            Assert.That(NativeLibraries.LoadedName(NativeLibraryKind.Cuda), Is.Null);
            var e = Assert.Throws<DllNotFoundException>(() => CudaDriver.cuInit(0));
            Assert.That(e!.Message, Is.EqualTo(failure));
        }
    }

    private static void AssertCallThrowsWhenAbsent(NativeLibraryKind kind, string family, TestDelegate call, string? hint = null)
    {
        if (NativeLibraries.TryLoad(kind))
        {
            Assert.Ignore($"{NativeLibraries.LoadedName(kind)} is installed here; this test needs a machine without it.");
        }

        var e = Assert.Throws<DllNotFoundException>(call);

        var tried = string.Join(", ", NativeLibraries.Candidates(kind));
        Assert.That(e!.Message, Does.StartWith($"{family} not found: tried {tried}. "));
        if (hint is not null)
        {
            Assert.That(e.Message, Does.EndWith(hint));
        }

        Assert.That(NativeLibraries.LoadedName(kind), Is.Null);
    }
}
