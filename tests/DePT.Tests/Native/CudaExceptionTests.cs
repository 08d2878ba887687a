using DePT.Native;

namespace DePT.Tests.Native;

public class CudaExceptionTests
{
    [Test]
    public void DriverError_MessageNamesCallStatusNameAndText()
    {
        var e = new CudaException(CudaException.CudaDriverLibrary, "cuMemAlloc_v2(out ptr, 1073741824)", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory");

        Assert.Multiple(() =>
        {
            Assert.That(e.Message, Is.EqualTo("cuMemAlloc_v2(out ptr, 1073741824) failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory"));
            Assert.That(e.Library, Is.EqualTo("CUDA driver"));
            Assert.That(e.Call, Is.EqualTo("cuMemAlloc_v2(out ptr, 1073741824)"));
            Assert.That(e.Status, Is.EqualTo(2));
            Assert.That(e.ErrorName, Is.EqualTo("CUDA_ERROR_OUT_OF_MEMORY"));
            Assert.That(e.ErrorText, Is.EqualTo("out of memory"));
            Assert.That(e.Log, Is.Null);
        });
    }

    [Test]
    public void CublasError_MessageNamesCallStatusNameAndText()
    {
        var e = new CudaException(CudaException.CublasLibrary, "cublasGemmEx(handle, ...)", 7, "CUBLAS_STATUS_INVALID_VALUE", "an invalid value was used as an argument");

        Assert.That(e.Message, Is.EqualTo("cublasGemmEx(handle, ...) failed: CUBLAS_STATUS_INVALID_VALUE (7): an invalid value was used as an argument"));
        Assert.That(e.Library, Is.EqualTo("cuBLAS"));
    }

    [Test]
    public void NvrtcError_AppendsTheLogWithoutItsNulPadding()
    {
        const string log = "kernels.cu(3): error: identifier \"x\" is undefined\n1 error detected in the compilation of \"kernels.cu\".";

        var e = new CudaException(CudaException.NvrtcLibrary, "nvrtcCompileProgram(prog, 2, options)", 6, "NVRTC_ERROR_COMPILATION", "NVRTC_ERROR_COMPILATION", log + "\n\0\0\0");

        Assert.That(e.Message, Is.EqualTo($"nvrtcCompileProgram(prog, 2, options) failed: NVRTC_ERROR_COMPILATION (6): NVRTC_ERROR_COMPILATION{Environment.NewLine}{log}"));
        Assert.That(e.Log, Is.EqualTo(log));
        Assert.That(e.Library, Is.EqualTo("NVRTC"));
    }

    [Test]
    public void WithoutErrorText_OrWithAnEmptyLog_TheMessageEndsAtTheStatus()
    {
        var e = new CudaException(CudaException.CudaDriverLibrary, "cuInit(0)", 100, "CUDA_ERROR_NO_DEVICE", null, "\0\0");

        Assert.That(e.Message, Is.EqualTo("cuInit(0) failed: CUDA_ERROR_NO_DEVICE (100)"));
        Assert.That(e.Log, Is.Null);
    }

    [Test]
    public void ThrowIfFailed_OnSuccess_DoesNotThrow()
    {
        Assert.DoesNotThrow(() => CudaException.ThrowIfFailed(CUresult.CUDA_SUCCESS));
        Assert.DoesNotThrow(() => CudaException.ThrowIfFailed(cublasStatus_t.CUBLAS_STATUS_SUCCESS));
        Assert.DoesNotThrow(() => CudaException.ThrowIfFailed(nvrtcResult.NVRTC_SUCCESS));
    }

    [Test]
    public void ThrowIfFailed_Driver_NamesTheCallExpressionAndTheStatus()
    {
        var status = RandomFailure<CUresult>();
        var bytes = Random.Shared.Next(1, 1 << 20);

        var e = Assert.Throws<CudaException>(() => CudaException.ThrowIfFailed(FakeBinding.cuMemAlloc_v2(status, bytes)));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Call, Is.EqualTo("cuMemAlloc_v2(status, bytes)"));
            Assert.That(e.Library, Is.EqualTo(CudaException.CudaDriverLibrary));
            Assert.That(e.Status, Is.EqualTo((int)status));
            Assert.That(e.ErrorName, Is.EqualTo(status.ToString()));
            Assert.That(e.Message, Does.StartWith($"cuMemAlloc_v2(status, bytes) failed: {status} ({(int)status})"));
        });
    }

    [Test]
    public void ThrowIfFailed_Cublas_NamesTheCallExpressionAndTheStatus()
    {
        var status = RandomFailure<cublasStatus_t>();

        var e = Assert.Throws<CudaException>(() => CudaException.ThrowIfFailed(FakeBinding.cublasGemmEx(status)));

        Assert.That(e!.Call, Is.EqualTo("cublasGemmEx(status)"));
        Assert.That(e.Library, Is.EqualTo(CudaException.CublasLibrary));
        Assert.That(e.Status, Is.EqualTo((int)status));
        Assert.That(e.ErrorName, Is.EqualTo(status.ToString()));
    }

    [Test]
    public void ThrowIfFailed_Nvrtc_AppendsTheLog()
    {
        var status = RandomFailure<nvrtcResult>();
        var log = $"error {Guid.NewGuid():N}";

        var e = Assert.Throws<CudaException>(() => CudaException.ThrowIfFailed(FakeBinding.nvrtcCompileProgram(status), log));

        Assert.That(e!.Call, Is.EqualTo("nvrtcCompileProgram(status)"));
        Assert.That(e.Library, Is.EqualTo(CudaException.NvrtcLibrary));
        Assert.That(e.ErrorName, Is.EqualTo(status.ToString()));
        Assert.That(e.Log, Is.EqualTo(log));
        Assert.That(e.Message, Does.EndWith(Environment.NewLine + log));
    }

    [Test]
    public void UnknownStatus_IsNamedByItsEnumType()
    {
        const int status = 123_457; // No CUDA library uses this value.

        var e = CudaException.FromNvrtc((nvrtcResult)status, "nvrtcVersion(out major, out minor)");

        Assert.That(e.ErrorName, Is.EqualTo("unknown nvrtcResult"));
        Assert.That(e.Status, Is.EqualTo(status));
    }

    [TestCase("CudaDriver.cuMemAlloc_v2(out ptr, bytes)", "cuMemAlloc_v2(out ptr, bytes)")]
    [TestCase("DePT.Native.CuBlas.cublasCreate_v2(out handle)", "cublasCreate_v2(out handle)")]
    [TestCase("CudaDriver.cuLaunchKernel(\n        fn,\n        grid.X, 1, 1,\n        256, 1, 1)", "cuLaunchKernel(fn, grid.X, 1, 1, 256, 1, 1)")]
    [TestCase("status", "status")]
    [TestCase("", "(unnamed call)")]
    public void ShortCall_DropsTheBindingClassAndCollapsesWhitespace(string expression, string expected) =>
        Assert.That(CudaException.ShortCall(expression), Is.EqualTo(expected));

    private static TEnum RandomFailure<TEnum>() where TEnum : struct, Enum
    {
        var failures = Enum.GetValues<TEnum>().Where(v => Convert.ToInt32(v) != 0).ToArray();
        return failures[Random.Shared.Next(failures.Length)];
    }

    // Stand-ins with the binding's names, so the call expression reads like a real call site.
    private static class FakeBinding
    {
        public static CUresult cuMemAlloc_v2(CUresult status, int bytes) => bytes > 0 ? status : CUresult.CUDA_SUCCESS;

        public static cublasStatus_t cublasGemmEx(cublasStatus_t status) => status;

        public static nvrtcResult nvrtcCompileProgram(nvrtcResult status) => status;
    }
}
