using System.Runtime.InteropServices;
using System.Text;
using DePT.Native;
using static DePT.Native.CudaDriver;
using static DePT.Native.CuBlas;
using static DePT.Native.Nvrtc;

namespace DePT.Tests.Native;

/// <summary>
/// Calls every bound entry point on a real device: the signatures, struct layouts and string marshalling
/// are right only if these agree with CPU references. Ignored where no CUDA driver or device exists.
/// </summary>
[Category("Gpu")]
public unsafe class NativeBindingGpuTests
{
    private CUdevice _device;
    private CUcontext _context;
    private CUstream _stream;

    [OneTimeSetUp]
    public void RetainPrimaryContext()
    {
        // The same availability rule as every other GPU fixture: no driver, a failing cuInit or no device skips.
        var probe = DePT.Devices.CudaProbe.Run();
        if (!probe.IsAvailable)
        {
            Assert.Ignore($"No CUDA device: {probe.Reason}");
        }

        CudaException.ThrowIfFailed(cuDeviceGet(out _device, 0));
        CudaException.ThrowIfFailed(cuDevicePrimaryCtxRetain(out _context, _device));
        CudaException.ThrowIfFailed(cuCtxSetCurrent(_context));
        CudaException.ThrowIfFailed(cuStreamCreate(out _stream, CUstream_flags.CU_STREAM_NON_BLOCKING));
    }

    [OneTimeTearDown]
    public void ReleasePrimaryContext()
    {
        if (!_stream.IsNull)
        {
            CudaException.ThrowIfFailed(cuStreamDestroy_v2(_stream));
        }

        if (!_context.IsNull)
        {
            CudaException.ThrowIfFailed(cuDevicePrimaryCtxRelease_v2(_device));
        }
    }

    [SetUp]
    public void MakeContextCurrent() => CudaException.ThrowIfFailed(cuCtxSetCurrent(_context));

    [Test]
    public void Device_ReportsConsistentProperties()
    {
        CudaException.ThrowIfFailed(cuDriverGetVersion(out var version));
        CudaException.ThrowIfFailed(cuCtxGetCurrent(out var current));
        var name = stackalloc byte[256];
        CudaException.ThrowIfFailed(cuDeviceGetName(name, 256, _device));
        CudaException.ThrowIfFailed(cuDeviceTotalMem_v2(out var totalMem, _device));
        CudaException.ThrowIfFailed(cuMemGetInfo_v2(out var free, out var total));

        TestContext.Out.WriteLine($"{Marshal.PtrToStringUTF8((nint)name)}, driver CUDA {version}, {total} bytes, loaded {NativeLibraries.LoadedName(NativeLibraryKind.Cuda)}");
        Assert.Multiple(() =>
        {
            Assert.That(version, Is.GreaterThanOrEqualTo(12080), "cuEventElapsedTime_v2 needs a CUDA 12.8+ driver");
            Assert.That(current, Is.EqualTo(_context));
            Assert.That(Marshal.PtrToStringUTF8((nint)name), Is.Not.Empty);
            Assert.That(Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_WARP_SIZE), Is.EqualTo(32));
            Assert.That(Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR), Is.InRange(5, 20));
            Assert.That(Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), Is.Positive);
            Assert.That(Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK), Is.EqualTo(1024));
            Assert.That(Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN),
                Is.GreaterThanOrEqualTo(Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK)));
            Assert.That(Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE), Is.Positive);
            Assert.That((ulong)total, Is.Positive.And.LessThanOrEqualTo((ulong)totalMem));
            Assert.That((ulong)free, Is.LessThanOrEqualTo((ulong)total));
        });
    }

    [Test]
    public void Memory_RoundTripsThroughDevicePinnedHostAndMemset()
    {
        var n = Random.Shared.Next(1000, 100_000);
        var bytes = (nuint)(n * sizeof(float));
        var source = RandomFloats(n);
        var pattern = (uint)Random.Shared.Next();
        var fillByte = (byte)Random.Shared.Next(1, 256);

        CudaException.ThrowIfFailed(cuMemAlloc_v2(out var a, bytes));
        CudaException.ThrowIfFailed(cuMemAlloc_v2(out var b, bytes));
        CudaException.ThrowIfFailed(cuMemAllocHost_v2(out var pinned, bytes));
        try
        {
            var host = new Span<float>(pinned, n);
            source.CopyTo(host);
            CudaException.ThrowIfFailed(cuMemcpyHtoDAsync_v2(a, pinned, bytes, _stream));
            CudaException.ThrowIfFailed(cuMemcpyDtoDAsync_v2(b, a, bytes, _stream));
            host.Fill(float.NaN);
            CudaException.ThrowIfFailed(cuMemcpyDtoHAsync_v2(pinned, b, bytes, _stream));
            CudaException.ThrowIfFailed(cuStreamSynchronize(_stream));
            Assert.That(host.ToArray(), Is.EqualTo(source), "HtoD, DtoD, DtoH");

            CudaException.ThrowIfFailed(cuMemsetD32Async(a, pattern, (nuint)n, _stream));
            CudaException.ThrowIfFailed(cuMemsetD8Async(b, fillByte, bytes, _stream));
            CudaException.ThrowIfFailed(cuStreamSynchronize(_stream));
            var words = new uint[n];
            var filled = new byte[(int)bytes];
            fixed (uint* w = words)
            fixed (byte* f = filled)
            {
                CudaException.ThrowIfFailed(cuMemcpyDtoH_v2(w, a, bytes));
                CudaException.ThrowIfFailed(cuMemcpyDtoH_v2(f, b, bytes));
                CudaException.ThrowIfFailed(cuCtxSynchronize());
            }

            Assert.That(words, Is.All.EqualTo(pattern), "cuMemsetD32Async");
            Assert.That(filled, Is.All.EqualTo(fillByte), "cuMemsetD8Async");
        }
        finally
        {
            CudaException.ThrowIfFailed(cuMemFreeHost(pinned));
            CudaException.ThrowIfFailed(cuMemFree_v2(b));
            CudaException.ThrowIfFailed(cuMemFree_v2(a));
        }
    }

    [TestCase(false, TestName = "Nvrtc_CubinWithAHeader_LoadsAndTheKernelMatchesTheCpu")]
    [TestCase(true, TestName = "Nvrtc_PtxWithAHeader_JitLoadsAndTheKernelMatchesTheCpu")]
    public void Nvrtc_CompilesWithAHeader_AndTheKernelMatchesTheCpu(bool viaPtx)
    {
        const string header = "__device__ inline float dept_axpy(float a, float x, float y) { return a * x + y; }\n";
        const string source = """
            #include "axpy.cuh"
            extern "C" __global__ void axpy(float a, const float* x, float* y, int n)
            {
                int i = blockIdx.x * blockDim.x + threadIdx.x;
                if (i < n) y[i] = dept_axpy(a, x[i], y[i]);
            }
            """;
        var image = Compile(source, "axpy.cu", [header], ["axpy.cuh"], viaPtx);
        Assert.That(image, Is.Not.Empty);

        var module = LoadModule(image, out var infoLog);
        try
        {
            CudaException.ThrowIfFailed(cuModuleGetFunction(out var axpy, module, "axpy"));
            CudaException.ThrowIfFailed(cuFuncGetAttribute(out var maxThreads, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, axpy));
            CudaException.ThrowIfFailed(cuFuncSetAttribute(axpy, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 1024));
            CudaException.ThrowIfFailed(cuFuncGetAttribute(out var dynamicShared, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, axpy));
            Assert.That(maxThreads, Is.GreaterThanOrEqualTo(256));
            Assert.That(dynamicShared, Is.EqualTo(1024));
            TestContext.Out.WriteLine($"JIT info log: {infoLog}");

            var n = Random.Shared.Next(1000, 50_000);
            var alpha = Random.Shared.NextSingle() * 4 - 2;
            var x = RandomFloats(n);
            var y = RandomFloats(n);
            var result = RunAxpy(axpy, alpha, x, y, out var milliseconds);

            // The GPU contracts a * x + y into one FMA; either rounding is within one ulp of the fused result.
            var worst = 0;
            var worstError = -1f;
            for (var i = 0; i < n; i++)
            {
                var error = MathF.Abs(result[i] - MathF.FusedMultiplyAdd(alpha, x[i], y[i])) / (1 + MathF.Abs(result[i]));
                if (!(error <= worstError))
                {
                    (worst, worstError) = (i, error);
                }
            }

            Assert.That(worstError, Is.LessThan(2e-6f), $"element {worst} of {n}: {result[worst]} for {alpha} * {x[worst]} + {y[worst]}");

            Assert.That(milliseconds, Is.GreaterThanOrEqualTo(0f));
        }
        finally
        {
            CudaException.ThrowIfFailed(cuModuleUnload(module));
        }
    }

    [Test]
    public void Nvrtc_CompileError_ThrowsWithTheCompilerLog()
    {
        RequireLibrary(NativeLibraryKind.Nvrtc);
        CudaException.ThrowIfFailed(nvrtcVersion(out var major, out var minor));
        Assert.That(major, Is.GreaterThanOrEqualTo(12), $"NVRTC {major}.{minor}");
        var undefined = $"undefined_{Guid.NewGuid():N}";
        CudaException.ThrowIfFailed(nvrtcCreateProgram(out var program, $"extern \"C\" __global__ void k(float* y) {{ y[0] = {undefined}; }}", "broken.cu", 0, null, null));
        try
        {
            var r = nvrtcCompileProgram(program, 1, [$"--gpu-architecture={Architecture()}"]);
            Assert.That(r, Is.EqualTo(nvrtcResult.NVRTC_ERROR_COMPILATION));

            var e = Assert.Throws<CudaException>(() => CudaException.ThrowIfFailed(r, ProgramLog(program)));

            Assert.That(e!.ErrorName, Is.EqualTo("NVRTC_ERROR_COMPILATION"));
            Assert.That(e.ErrorText, Is.Not.Null.And.Not.Empty, "nvrtcGetErrorString");
            Assert.That(e.Log, Does.Contain(undefined).And.Contain("broken.cu"));
            Assert.That(e.Message, Does.Contain(undefined));
        }
        finally
        {
            CudaException.ThrowIfFailed(nvrtcDestroyProgram(ref program));
        }

        Assert.That(program.IsNull, Is.True, "nvrtcDestroyProgram clears the handle");
    }

    [Test]
    public void ModuleLoad_OfBrokenPtx_ReturnsInvalidPtxAndAJitErrorLog()
    {
        var ptx = Encoding.ASCII.GetBytes(".version 8.0\n.target sm_50\n.address_size 64\n.visible .entry k()\n{\n    bogus.instruction;\n    ret;\n}\n\0");
        var errorLog = new byte[8192];
        var options = stackalloc CUjit_option[] { CUjit_option.CU_JIT_ERROR_LOG_BUFFER, CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES };
        CUresult r;
        fixed (byte* image = ptx)
        fixed (byte* log = errorLog)
        {
            var values = stackalloc void*[] { log, (void*)(nuint)errorLog.Length };
            r = cuModuleLoadDataEx(out _, image, 2, options, values);
        }

        var logText = Encoding.UTF8.GetString(errorLog).TrimEnd('\0').TrimEnd();
        var e = CudaException.FromDriver(r, "cuModuleLoadDataEx(out module, image, 2, options, values)", logText);

        TestContext.Out.WriteLine(e.Message);
        Assert.That(r, Is.EqualTo(CUresult.CUDA_ERROR_INVALID_PTX));
        Assert.That(logText, Does.Contain("error").IgnoreCase, "the JIT wrote its error log into our buffer");
        Assert.That(e.ErrorName, Is.EqualTo("CUDA_ERROR_INVALID_PTX"), "cuGetErrorName");
        Assert.That(e.ErrorText, Is.Not.Null.And.Not.Empty, "cuGetErrorString");
        Assert.That(e.Message, Does.StartWith("cuModuleLoadDataEx(out module, image, 2, options, values) failed: CUDA_ERROR_INVALID_PTX (218): "));
        Assert.That(e.Message, Does.EndWith(Environment.NewLine + logText));
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    public void Cublas_GemmExAndStridedBatched_MatchTheCpu(bool transposeA, bool transposeB)
    {
        var transa = transposeA ? cublasOperation_t.CUBLAS_OP_T : cublasOperation_t.CUBLAS_OP_N;
        var transb = transposeB ? cublasOperation_t.CUBLAS_OP_T : cublasOperation_t.CUBLAS_OP_N;
        RequireLibrary(NativeLibraryKind.Cublas);

        int m = Random.Shared.Next(17, 130), n = Random.Shared.Next(17, 130), k = Random.Shared.Next(17, 130), batch = 3;
        // Column-major storage: op(A) is m×k, so A itself is m×k (lda = m) or k×m (lda = k).
        var lda = transa == cublasOperation_t.CUBLAS_OP_N ? m : k;
        var ldb = transb == cublasOperation_t.CUBLAS_OP_N ? k : n;
        var a = RandomFloats(m * k * batch);
        var b = RandomFloats(k * n * batch);
        var c = RandomFloats(m * n * batch);
        float alpha = Random.Shared.NextSingle() + 0.5f, beta = Random.Shared.NextSingle();

        CudaException.ThrowIfFailed(cublasCreate_v2(out var handle));
        try
        {
            CudaException.ThrowIfFailed(cublasGetVersion_v2(handle, out var version));
            CudaException.ThrowIfFailed(cublasSetStream_v2(handle, _stream));
            CudaException.ThrowIfFailed(cublasSetMathMode(handle, cublasMath_t.CUBLAS_DEFAULT_MATH));
            TestContext.Out.WriteLine($"cuBLAS {version} from {NativeLibraries.LoadedName(NativeLibraryKind.Cublas)}");
            Assert.That(version, Is.GreaterThanOrEqualTo(120000));

            using var dA = DeviceCopy(a);
            using var dB = DeviceCopy(b);
            using var dC = DeviceCopy(c);
            using var dBatched = DeviceCopy(c);
            CudaException.ThrowIfFailed(cublasGemmEx(
                handle, transa, transb, m, n, k,
                &alpha, dA.Pointer, cudaDataType_t.CUDA_R_32F, lda, dB.Pointer, cudaDataType_t.CUDA_R_32F, ldb,
                &beta, dC.Pointer, cudaDataType_t.CUDA_R_32F, m,
                cublasComputeType_t.CUBLAS_COMPUTE_32F, cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT));
            CudaException.ThrowIfFailed(cublasGemmStridedBatchedEx(
                handle, transa, transb, m, n, k,
                &alpha, dA.Pointer, cudaDataType_t.CUDA_R_32F, lda, (long)m * k, dB.Pointer, cudaDataType_t.CUDA_R_32F, ldb, (long)k * n,
                &beta, dBatched.Pointer, cudaDataType_t.CUDA_R_32F, m, (long)m * n, batch,
                cublasComputeType_t.CUBLAS_COMPUTE_32F, cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT));
            CudaException.ThrowIfFailed(cuStreamSynchronize(_stream));

            var single = dC.ToHost();
            var batched = dBatched.ToHost();
            for (var i = 0; i < batch; i++)
            {
                var expected = GemmReference(transa, transb, m, n, k, alpha, a.AsSpan(i * m * k, m * k), lda, b.AsSpan(i * k * n, k * n), ldb, beta, c.AsSpan(i * m * n, m * n));
                Assert.That(RelativeError(batched.AsSpan(i * m * n, m * n), expected), Is.LessThan(1e-5), $"strided batch {i} of {m}x{n}x{k}");
                if (i == 0)
                {
                    Assert.That(RelativeError(single.AsSpan(0, m * n), expected), Is.LessThan(1e-5), $"GemmEx {m}x{n}x{k}");
                }
            }

            Assert.That(single.AsSpan(m * n).ToArray(), Is.EqualTo(c.AsSpan(m * n).ToArray()), "GemmEx wrote past its C");
        }
        finally
        {
            CudaException.ThrowIfFailed(cublasDestroy_v2(handle));
        }
    }

    private int Attribute(CUdevice_attribute attribute)
    {
        CudaException.ThrowIfFailed(cuDeviceGetAttribute(out var value, attribute, _device));
        return value;
    }

    private string Architecture() =>
        $"sm_{Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)}{Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)}";

    private static void RequireLibrary(NativeLibraryKind kind)
    {
        if (!NativeLibraries.TryLoad(kind, out var failure))
        {
            Assert.Ignore(failure);
        }
    }

    /// <summary>A cubin for this device's architecture, or PTX for its virtual architecture (NUL-terminated, as the JIT needs).</summary>
    private byte[] Compile(string source, string name, string[] headers, string[] includeNames, bool ptx)
    {
        RequireLibrary(NativeLibraryKind.Nvrtc);
        CudaException.ThrowIfFailed(nvrtcCreateProgram(out var program, source, name, headers.Length, headers, includeNames));
        try
        {
            var architecture = ptx ? Architecture().Replace("sm_", "compute_") : Architecture();
            string[] options = [$"--gpu-architecture={architecture}", "--std=c++17"];
            var r = nvrtcCompileProgram(program, options.Length, options);
            if (r != nvrtcResult.NVRTC_SUCCESS)
            {
                CudaException.ThrowIfFailed(r, ProgramLog(program));
            }

            nuint size;
            CudaException.ThrowIfFailed(ptx ? nvrtcGetPTXSize(program, out size) : nvrtcGetCUBINSize(program, out size));
            var image = new byte[(int)size];
            fixed (byte* p = image)
            {
                CudaException.ThrowIfFailed(ptx ? nvrtcGetPTX(program, p) : nvrtcGetCUBIN(program, p));
            }

            return image;
        }
        finally
        {
            CudaException.ThrowIfFailed(nvrtcDestroyProgram(ref program));
        }
    }

    private static string ProgramLog(nvrtcProgram program)
    {
        CudaException.ThrowIfFailed(nvrtcGetProgramLogSize(program, out var size));
        var log = new byte[(int)size];
        fixed (byte* p = log)
        {
            CudaException.ThrowIfFailed(nvrtcGetProgramLog(program, p));
        }

        return Encoding.UTF8.GetString(log);
    }

    private static CUmodule LoadModule(byte[] image, out string infoLog)
    {
        var info = new byte[4096];
        var error = new byte[4096];
        var options = stackalloc CUjit_option[]
        {
            CUjit_option.CU_JIT_INFO_LOG_BUFFER, CUjit_option.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
            CUjit_option.CU_JIT_ERROR_LOG_BUFFER, CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
        };
        CUmodule module;
        CUresult r;
        fixed (byte* p = image)
        fixed (byte* infoBuffer = info)
        fixed (byte* errorBuffer = error)
        {
            var values = stackalloc void*[] { infoBuffer, (void*)(nuint)info.Length, errorBuffer, (void*)(nuint)error.Length };
            r = cuModuleLoadDataEx(out module, p, 4, options, values);
        }

        CudaException.ThrowIfFailed(r, Encoding.UTF8.GetString(error));
        infoLog = Encoding.UTF8.GetString(info).TrimEnd('\0');
        return module;
    }

    private float[] RunAxpy(CUfunction axpy, float alpha, float[] x, float[] y, out float milliseconds)
    {
        var n = x.Length;
        using var dX = DeviceCopy(x);
        using var dY = DeviceCopy(y);
        CudaException.ThrowIfFailed(cuEventCreate(out var start, CUevent_flags.CU_EVENT_DEFAULT));
        CudaException.ThrowIfFailed(cuEventCreate(out var stop, CUevent_flags.CU_EVENT_BLOCKING_SYNC));
        try
        {
            var xPointer = dX.Pointer;
            var yPointer = dY.Pointer;
            var args = stackalloc void*[] { &alpha, &xPointer, &yPointer, &n };
            const uint block = 256;
            CudaException.ThrowIfFailed(cuEventRecord(start, _stream));
            CudaException.ThrowIfFailed(cuLaunchKernel(axpy, ((uint)n + block - 1) / block, 1, 1, block, 1, 1, 0, _stream, args, null));
            CudaException.ThrowIfFailed(cuEventRecord(stop, _stream));
            CudaException.ThrowIfFailed(cuEventSynchronize(stop));
            CudaException.ThrowIfFailed(cuEventElapsedTime_v2(out milliseconds, start, stop));
            return dY.ToHost();
        }
        finally
        {
            CudaException.ThrowIfFailed(cuEventDestroy_v2(stop));
            CudaException.ThrowIfFailed(cuEventDestroy_v2(start));
        }
    }

    private static DeviceFloats DeviceCopy(float[] values)
    {
        CudaException.ThrowIfFailed(cuMemAlloc_v2(out var pointer, (nuint)(values.Length * sizeof(float))));
        fixed (float* p = values)
        {
            CudaException.ThrowIfFailed(cuMemcpyHtoD_v2(pointer, p, (nuint)(values.Length * sizeof(float))));
        }

        return new DeviceFloats(pointer, values.Length);
    }

    private static float[] GemmReference(
        cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, ReadOnlySpan<float> c)
    {
        var result = new float[m * n];
        for (var col = 0; col < n; col++)
        {
            for (var row = 0; row < m; row++)
            {
                double sum = 0;
                for (var p = 0; p < k; p++)
                {
                    var aValue = transa == cublasOperation_t.CUBLAS_OP_N ? a[row + p * lda] : a[p + row * lda];
                    var bValue = transb == cublasOperation_t.CUBLAS_OP_N ? b[p + col * ldb] : b[col + p * ldb];
                    sum += (double)aValue * bValue;
                }

                result[row + col * m] = (float)(alpha * sum + beta * c[row + col * m]);
            }
        }

        return result;
    }

    private static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        double difference = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            difference += Math.Pow(actual[i] - expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }

        return Math.Sqrt(difference / norm);
    }

    private static float[] RandomFloats(int n)
    {
        var values = new float[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = Random.Shared.NextSingle() * 2 - 1;
        }

        return values;
    }

    private readonly record struct DeviceFloats(CUdeviceptr Pointer, int Length) : IDisposable
    {
        public float[] ToHost()
        {
            var host = new float[Length];
            fixed (float* p = host)
            {
                CudaException.ThrowIfFailed(cuMemcpyDtoH_v2(p, Pointer, (nuint)(Length * sizeof(float))));
            }

            return host;
        }

        public void Dispose() => CudaException.ThrowIfFailed(cuMemFree_v2(Pointer));
    }
}
