using System.Runtime.CompilerServices;
using DePT.Native;

namespace DePT.Tests.Native;

/// <summary>The binding's types must match the C ABI exactly; a wrong size or value corrupts calls silently.</summary>
public class NativeAbiTests
{
    [Test]
    public void Handles_HaveTheSizeOfTheirCTypes()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Unsafe.SizeOf<CUdevice>(), Is.EqualTo(sizeof(int)), "CUdevice is an int");
            Assert.That(Unsafe.SizeOf<CUdeviceptr>(), Is.EqualTo(8), "CUdeviceptr is unsigned long long");
            Assert.That(Unsafe.SizeOf<CUcontext>(), Is.EqualTo(IntPtr.Size));
            Assert.That(Unsafe.SizeOf<CUstream>(), Is.EqualTo(IntPtr.Size));
            Assert.That(Unsafe.SizeOf<CUevent>(), Is.EqualTo(IntPtr.Size));
            Assert.That(Unsafe.SizeOf<CUmodule>(), Is.EqualTo(IntPtr.Size));
            Assert.That(Unsafe.SizeOf<CUfunction>(), Is.EqualTo(IntPtr.Size));
            Assert.That(Unsafe.SizeOf<cublasHandle_t>(), Is.EqualTo(IntPtr.Size));
            Assert.That(Unsafe.SizeOf<nvrtcProgram>(), Is.EqualTo(IntPtr.Size));
        });
    }

    [Test]
    public void Enums_AreIntSized_LikeCEnums()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Unsafe.SizeOf<CUresult>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<CUdevice_attribute>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<CUjit_option>(), Is.EqualTo(4), "cuModuleLoadDataEx takes an array of them");
            Assert.That(Unsafe.SizeOf<CUfunction_attribute>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<cublasStatus_t>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<cudaDataType_t>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<cublasComputeType_t>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<nvrtcResult>(), Is.EqualTo(4));
        });
    }

    [Test]
    public void Handles_AreNullOnlyAtZero()
    {
        var address = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        var pointer = (nint)Random.Shared.NextInt64(1, int.MaxValue);

        Assert.Multiple(() =>
        {
            Assert.That(default(CUdeviceptr).IsNull, Is.True);
            Assert.That(new CUdeviceptr(address).IsNull, Is.False);
            Assert.That(new CUdeviceptr(address).Offset(24).Address, Is.EqualTo(address + 24));
            Assert.That(default(CUstream).IsNull, Is.True);
            Assert.That(new CUstream(pointer).IsNull, Is.False);
            Assert.That(new CUcontext(pointer).IsNull, Is.False);
            Assert.That(new cublasHandle_t(pointer).IsNull, Is.False);
            Assert.That(new nvrtcProgram(pointer).IsNull, Is.False);
        });
    }

    // Spot checks of values read from CUDA 13.0's cuda.h, library_types.h and cublas_api.h.
    [TestCase(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, 1)]
    [TestCase(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_WARP_SIZE, 10)]
    [TestCase(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 16)]
    [TestCase(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, 38)]
    [TestCase(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 75)]
    [TestCase(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, 97)]
    [TestCase(CUjit_option.CU_JIT_ERROR_LOG_BUFFER, 5)]
    [TestCase(CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, 6)]
    [TestCase(CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 8)]
    [TestCase(CUresult.CUDA_ERROR_OUT_OF_MEMORY, 2)]
    [TestCase(CUresult.CUDA_ERROR_INVALID_PTX, 218)]
    [TestCase(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, 700)]
    [TestCase(cudaDataType_t.CUDA_R_32F, 0)]
    [TestCase(cudaDataType_t.CUDA_R_16F, 2)]
    [TestCase(cudaDataType_t.CUDA_R_16BF, 14)]
    [TestCase(cudaDataType_t.CUDA_R_32I, 10)]
    [TestCase(cublasComputeType_t.CUBLAS_COMPUTE_32F, 68)]
    [TestCase(cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32, 77)]
    [TestCase(cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT, -1)]
    [TestCase(cublasOperation_t.CUBLAS_OP_T, 1)]
    [TestCase(nvrtcResult.NVRTC_ERROR_COMPILATION, 6)]
    public void EnumValues_MatchTheCHeaders(Enum value, int expected) =>
        Assert.That(Convert.ToInt32(value), Is.EqualTo(expected), value.ToString());
}
