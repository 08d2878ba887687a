using DePT.Diagnostics;
using DePT.Kernels;
using DePT.Native;
using DePT.Tensors;
using DePT.Tests.Support;

namespace DePT.Tests.Kernels;

/// <summary>Both ways kernels reach the device: the CMake fatbin and NVRTC from the embedded sources.</summary>
public class KernelLoadingGpuTests : GpuFixture
{
    [Test]
    public void ThePathInUseMatchesTheEnvironment()
    {
        var named = Environment.GetEnvironmentVariable(CudaKernelModule.KernelsVariable);
        var module = Gpu.CudaDevice.Kernels;
        TestContext.Out.WriteLine($"kernels: {module.LoadPath} from {module.Origin}");
        if (!string.IsNullOrEmpty(named))
        {
            Assert.That(module.LoadPath, Is.EqualTo(KernelLoadPath.Fatbin));
            Assert.That(module.Origin, Is.EqualTo(Path.GetFullPath(named)));
        }
        else if (File.Exists(Path.Combine(AppContext.BaseDirectory, CudaKernelModule.FatbinFileName)))
        {
            Assert.That(module.LoadPath, Is.EqualTo(KernelLoadPath.Fatbin));
        }
        else
        {
            Assert.That(module.LoadPath, Is.AnyOf(KernelLoadPath.NvrtcCompiled, KernelLoadPath.NvrtcCached));
        }
    }

    [Test]
    public void NvrtcCompilesTheEmbeddedSourcesAndTheirKernelsRun()
    {
        using var module = CudaKernelModule.FromSources(Gpu.CudaDevice, useCache: false);
        Assert.That(module.LoadPath, Is.EqualTo(KernelLoadPath.NvrtcCompiled));
        foreach (var name in new[]
                 {
                     "prompt_input_forward_f32out_f32emb", "prompt_input_forward_f32out_bf16emb", "prompt_input_forward_bf16out_f32emb",
                     "prompt_input_forward_bf16out_bf16emb", "prompt_input_backward_reduce_f32", "prompt_input_backward_reduce_bf16",
                     "prompt_input_backward_lowrank_a", "prompt_input_backward_lowrank_b", "prompt_lowrank_delta",
                 })
            Assert.That(module.Function(name).IsNull, Is.False, name);
    }

    [Test]
    public void TheDiskCacheIsKeyedAndReused()
    {
        var cacheDir = Path.Combine(Path.GetTempPath(), "dept-cache-" + Guid.NewGuid().ToString("N"));
        var previous = Environment.GetEnvironmentVariable(CudaKernelModule.CacheVariable);
        Environment.SetEnvironmentVariable(CudaKernelModule.CacheVariable, cacheDir);
        try
        {
            using (var first = CudaKernelModule.FromSources(Gpu.CudaDevice, useCache: true))
                Assert.That(first.LoadPath, Is.EqualTo(KernelLoadPath.NvrtcCompiled));
            var files = Directory.GetFiles(cacheDir, "*.cubin");
            Assert.That(files, Has.Length.EqualTo(1));
            var d = Gpu.CudaDevice;
            Assert.That(Path.GetFileName(files[0]), Does.Contain($"sm{d.ComputeCapabilityMajor}{d.ComputeCapabilityMinor}").And.Contain("nvrtc"));
            using var second = CudaKernelModule.FromSources(Gpu.CudaDevice, useCache: true);
            Assert.That(second.LoadPath, Is.EqualTo(KernelLoadPath.NvrtcCached));
        }
        finally
        {
            Environment.SetEnvironmentVariable(CudaKernelModule.CacheVariable, previous);
            Directory.Delete(cacheDir, recursive: true);
        }
    }

    [Test]
    public void ACompileFailureShowsTheCompilerLog()
    {
        var sources = new Dictionary<string, string> { ["broken.cu"] = "extern \"C\" __global__ void k(int* p) { p[0] = undeclared_name; }" };
        var d = Gpu.CudaDevice;
        var e = Assert.Throws<CudaException>(() =>
            NvrtcCompiler.CompileToCubin(sources, "broken.cu", d.ComputeCapabilityMajor * 10 + d.ComputeCapabilityMinor, []));
        Assert.That(e!.Message, Does.Contain("undeclared_name").And.Contain("nvrtcCompileProgram"));
    }

    [Test]
    public void AMissingFatbinNamedByTheEnvironmentIsReported()
    {
        var previous = Environment.GetEnvironmentVariable(CudaKernelModule.KernelsVariable);
        Environment.SetEnvironmentVariable(CudaKernelModule.KernelsVariable, "/nonexistent/dept_kernels.fatbin");
        try
        {
            var e = Assert.Throws<FileNotFoundException>(() => CudaKernelModule.Load(Gpu.CudaDevice));
            Assert.That(e!.Message, Does.Contain("/nonexistent/dept_kernels.fatbin").And.Contain(CudaKernelModule.KernelsVariable));
        }
        finally
        {
            Environment.SetEnvironmentVariable(CudaKernelModule.KernelsVariable, previous);
        }
    }
}
