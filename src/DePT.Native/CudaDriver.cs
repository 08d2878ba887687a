using System.Runtime.InteropServices;

namespace DePT.Native;

/// <summary>
/// The CUDA driver API (libcuda) as cuda.h of CUDA 13 declares it: exact C names, the versioned entry
/// points that cuda.h maps the plain names to (cuMemAlloc → cuMemAlloc_v2, cuEventElapsedTime →
/// cuEventElapsedTime_v2, ...), and no policy. Callers check every CUresult with
/// <see cref="CudaException.ThrowIfFailed(CUresult, string?, string)"/>.
/// </summary>
/// <remarks>
/// size_t is <see cref="nuint"/>; output pointers are <c>out</c> parameters of the typed handles.
/// cuEventElapsedTime_v2 needs a CUDA 12.8+ driver (r570 or newer); everything else here is older.
/// </remarks>
internal static unsafe partial class CudaDriver
{
    // Initialisation and version
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuInit(uint Flags);

    /// <summary>The driver's CUDA version as 1000 * major + 10 * minor (13000 for 13.0).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuDriverGetVersion(out int driverVersion);

    // Devices
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuDeviceGetCount(out int count);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuDeviceGet(out CUdevice device, int ordinal);

    /// <summary>Writes the NUL-terminated ASCII name of <paramref name="dev"/> into <paramref name="name"/> (at most <paramref name="len"/> bytes).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuDeviceGetName(byte* name, int len, CUdevice dev);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuDeviceGetAttribute(out int pi, CUdevice_attribute attrib, CUdevice dev);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuDeviceTotalMem_v2(out nuint bytes, CUdevice dev);

    // Primary context and current context
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuDevicePrimaryCtxRetain(out CUcontext pctx, CUdevice dev);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuCtxSetCurrent(CUcontext ctx);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuCtxGetCurrent(out CUcontext pctx);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuCtxSynchronize();

    // Streams
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuStreamCreate(out CUstream phStream, CUstream_flags Flags);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuStreamDestroy_v2(CUstream hStream);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuStreamSynchronize(CUstream hStream);

    // Events
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuEventCreate(out CUevent phEvent, CUevent_flags Flags);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuEventDestroy_v2(CUevent hEvent);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuEventRecord(CUevent hEvent, CUstream hStream);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuEventSynchronize(CUevent hEvent);

    /// <summary>Milliseconds between two completed events. CUDA 13's cuda.h maps cuEventElapsedTime to this _v2 symbol.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuEventElapsedTime_v2(out float pMilliseconds, CUevent hStart, CUevent hEnd);

    // Memory
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuMemAlloc_v2(out CUdeviceptr dptr, nuint bytesize);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuMemFree_v2(CUdeviceptr dptr);

    /// <summary>Page-locked host memory, for asynchronous copies.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuMemAllocHost_v2(out void* pp, nuint bytesize);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuMemFreeHost(void* p);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, void* srcHost, nuint ByteCount);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuMemcpyDtoH_v2(void* dstHost, CUdeviceptr srcDevice, nuint ByteCount);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, void* srcHost, nuint ByteCount, CUstream hStream);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuMemcpyDtoHAsync_v2(void* dstHost, CUdeviceptr srcDevice, nuint ByteCount, CUstream hStream);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, nuint ByteCount, CUstream hStream);

    /// <summary>Sets <paramref name="N"/> bytes to <paramref name="uc"/>.</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuMemsetD8Async(CUdeviceptr dstDevice, byte uc, nuint N, CUstream hStream);

    /// <summary>Sets <paramref name="N"/> 32-bit words to <paramref name="ui"/> (the address must be 4-byte aligned).</summary>
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuMemsetD32Async(CUdeviceptr dstDevice, uint ui, nuint N, CUstream hStream);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuMemGetInfo_v2(out nuint free, out nuint total);

    // Modules and kernels
    /// <summary>
    /// Loads a cubin, fatbin or PTX image. <paramref name="options"/> and <paramref name="optionValues"/> are
    /// parallel arrays of <paramref name="numOptions"/> entries; each value is the option's integer cast to a
    /// pointer, or a pointer (the log buffers of <see cref="CUjit_option.CU_JIT_ERROR_LOG_BUFFER"/> and
    /// <see cref="CUjit_option.CU_JIT_INFO_LOG_BUFFER"/>, which must stay pinned for the call).
    /// </summary>
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuModuleLoadDataEx(out CUmodule module, void* image, uint numOptions, CUjit_option* options, void** optionValues);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuModuleUnload(CUmodule hmod);

    [LibraryImport(NativeLibraries.Cuda, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial CUresult cuModuleGetFunction(out CUfunction hfunc, CUmodule hmod, string name);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuFuncSetAttribute(CUfunction hfunc, CUfunction_attribute attrib, int value);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuFuncGetAttribute(out int pi, CUfunction_attribute attrib, CUfunction hfunc);

    /// <summary>
    /// Launches <paramref name="f"/>. <paramref name="kernelParams"/> holds one pointer per kernel parameter,
    /// each to that argument's value; <paramref name="extra"/> is null unless a packed buffer is passed instead.
    /// </summary>
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuLaunchKernel(
        CUfunction f,
        uint gridDimX, uint gridDimY, uint gridDimZ,
        uint blockDimX, uint blockDimY, uint blockDimZ,
        uint sharedMemBytes, CUstream hStream,
        void** kernelParams, void** extra);

    // Errors. The strings are static and owned by the driver: read them, never free them.
    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuGetErrorName(CUresult error, out byte* pStr);

    [LibraryImport(NativeLibraries.Cuda)]
    internal static partial CUresult cuGetErrorString(CUresult error, out byte* pStr);
}

/// <summary><c>CUresult</c>: every value of cuda.h (CUDA 13.0).</summary>
internal enum CUresult
{
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_DEINITIALIZED = 4,
    CUDA_ERROR_PROFILER_DISABLED = 5,
    CUDA_ERROR_PROFILER_NOT_INITIALIZED = 6,
    CUDA_ERROR_PROFILER_ALREADY_STARTED = 7,
    CUDA_ERROR_PROFILER_ALREADY_STOPPED = 8,
    CUDA_ERROR_STUB_LIBRARY = 34,
    CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER = 36,
    CUDA_ERROR_DEVICE_UNAVAILABLE = 46,
    CUDA_ERROR_NO_DEVICE = 100,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_DEVICE_NOT_LICENSED = 102,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_CONTEXT_ALREADY_CURRENT = 202,
    CUDA_ERROR_MAP_FAILED = 205,
    CUDA_ERROR_UNMAP_FAILED = 206,
    CUDA_ERROR_ARRAY_IS_MAPPED = 207,
    CUDA_ERROR_ALREADY_MAPPED = 208,
    CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
    CUDA_ERROR_ALREADY_ACQUIRED = 210,
    CUDA_ERROR_NOT_MAPPED = 211,
    CUDA_ERROR_NOT_MAPPED_AS_ARRAY = 212,
    CUDA_ERROR_NOT_MAPPED_AS_POINTER = 213,
    CUDA_ERROR_ECC_UNCORRECTABLE = 214,
    CUDA_ERROR_UNSUPPORTED_LIMIT = 215,
    CUDA_ERROR_CONTEXT_ALREADY_IN_USE = 216,
    CUDA_ERROR_PEER_ACCESS_UNSUPPORTED = 217,
    CUDA_ERROR_INVALID_PTX = 218,
    CUDA_ERROR_INVALID_GRAPHICS_CONTEXT = 219,
    CUDA_ERROR_NVLINK_UNCORRECTABLE = 220,
    CUDA_ERROR_JIT_COMPILER_NOT_FOUND = 221,
    CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
    CUDA_ERROR_JIT_COMPILATION_DISABLED = 223,
    CUDA_ERROR_UNSUPPORTED_EXEC_AFFINITY = 224,
    CUDA_ERROR_UNSUPPORTED_DEVSIDE_SYNC = 225,
    CUDA_ERROR_CONTAINED = 226,
    CUDA_ERROR_INVALID_SOURCE = 300,
    CUDA_ERROR_FILE_NOT_FOUND = 301,
    CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND = 302,
    CUDA_ERROR_SHARED_OBJECT_INIT_FAILED = 303,
    CUDA_ERROR_OPERATING_SYSTEM = 304,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_ILLEGAL_STATE = 401,
    CUDA_ERROR_LOSSY_QUERY = 402,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600,
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_LAUNCH_TIMEOUT = 702,
    CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING = 703,
    CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED = 704,
    CUDA_ERROR_PEER_ACCESS_NOT_ENABLED = 705,
    CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE = 708,
    CUDA_ERROR_CONTEXT_IS_DESTROYED = 709,
    CUDA_ERROR_ASSERT = 710,
    CUDA_ERROR_TOO_MANY_PEERS = 711,
    CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED = 712,
    CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED = 713,
    CUDA_ERROR_HARDWARE_STACK_ERROR = 714,
    CUDA_ERROR_ILLEGAL_INSTRUCTION = 715,
    CUDA_ERROR_MISALIGNED_ADDRESS = 716,
    CUDA_ERROR_INVALID_ADDRESS_SPACE = 717,
    CUDA_ERROR_INVALID_PC = 718,
    CUDA_ERROR_LAUNCH_FAILED = 719,
    CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE = 720,
    CUDA_ERROR_TENSOR_MEMORY_LEAK = 721,
    CUDA_ERROR_NOT_PERMITTED = 800,
    CUDA_ERROR_NOT_SUPPORTED = 801,
    CUDA_ERROR_SYSTEM_NOT_READY = 802,
    CUDA_ERROR_SYSTEM_DRIVER_MISMATCH = 803,
    CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE = 804,
    CUDA_ERROR_MPS_CONNECTION_FAILED = 805,
    CUDA_ERROR_MPS_RPC_FAILURE = 806,
    CUDA_ERROR_MPS_SERVER_NOT_READY = 807,
    CUDA_ERROR_MPS_MAX_CLIENTS_REACHED = 808,
    CUDA_ERROR_MPS_MAX_CONNECTIONS_REACHED = 809,
    CUDA_ERROR_MPS_CLIENT_TERMINATED = 810,
    CUDA_ERROR_CDP_NOT_SUPPORTED = 811,
    CUDA_ERROR_CDP_VERSION_MISMATCH = 812,
    CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
    CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901,
    CUDA_ERROR_STREAM_CAPTURE_MERGE = 902,
    CUDA_ERROR_STREAM_CAPTURE_UNMATCHED = 903,
    CUDA_ERROR_STREAM_CAPTURE_UNJOINED = 904,
    CUDA_ERROR_STREAM_CAPTURE_ISOLATION = 905,
    CUDA_ERROR_STREAM_CAPTURE_IMPLICIT = 906,
    CUDA_ERROR_CAPTURED_EVENT = 907,
    CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD = 908,
    CUDA_ERROR_TIMEOUT = 909,
    CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE = 910,
    CUDA_ERROR_EXTERNAL_DEVICE = 911,
    CUDA_ERROR_INVALID_CLUSTER_SIZE = 912,
    CUDA_ERROR_FUNCTION_NOT_LOADED = 913,
    CUDA_ERROR_INVALID_RESOURCE_TYPE = 914,
    CUDA_ERROR_INVALID_RESOURCE_CONFIGURATION = 915,
    CUDA_ERROR_KEY_ROTATION = 916,
    CUDA_ERROR_UNKNOWN = 999,
}

/// <summary><c>CUdevice_attribute</c>: the attributes we query (values from cuda.h).</summary>
internal enum CUdevice_attribute
{
    CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
    CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X = 2,
    CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y = 3,
    CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z = 4,
    CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X = 5,
    CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y = 6,
    CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z = 7,
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8,
    CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY = 9,
    CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10,
    CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK = 12,
    CU_DEVICE_ATTRIBUTE_CLOCK_RATE = 13,
    CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    CU_DEVICE_ATTRIBUTE_INTEGRATED = 18,
    CU_DEVICE_ATTRIBUTE_COMPUTE_MODE = 20,
    CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS = 31,
    CU_DEVICE_ATTRIBUTE_ECC_ENABLED = 32,
    CU_DEVICE_ATTRIBUTE_PCI_BUS_ID = 33,
    CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID = 34,
    CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36,
    CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37,
    CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38,
    CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR = 39,
    CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT = 40,
    CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING = 41,
    CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID = 50,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81,
    CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR = 82,
    CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY = 83,
    CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH = 95,
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
    CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR = 106,
    CU_DEVICE_ATTRIBUTE_MAX_PERSISTING_L2_CACHE_SIZE = 108,
    CU_DEVICE_ATTRIBUTE_RESERVED_SHARED_MEMORY_PER_BLOCK = 111,
    CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED = 115,
    CU_DEVICE_ATTRIBUTE_CLUSTER_LAUNCH = 120,
}

/// <summary><c>CUjit_option</c>: options of cuModuleLoadDataEx (values from cuda.h).</summary>
internal enum CUjit_option
{
    CU_JIT_MAX_REGISTERS = 0,
    CU_JIT_THREADS_PER_BLOCK = 1,
    /// <summary>Out: milliseconds the compiler and linker spent (a float in the value slot).</summary>
    CU_JIT_WALL_TIME = 2,
    /// <summary>In: a caller-owned buffer for informational messages.</summary>
    CU_JIT_INFO_LOG_BUFFER = 3,
    /// <summary>In: the buffer's size in bytes; out: the bytes written, NUL excluded.</summary>
    CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
    /// <summary>In: a caller-owned buffer for error messages.</summary>
    CU_JIT_ERROR_LOG_BUFFER = 5,
    /// <summary>In: the buffer's size in bytes; out: the bytes written, NUL excluded.</summary>
    CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
    CU_JIT_OPTIMIZATION_LEVEL = 7,
    CU_JIT_TARGET_FROM_CUCONTEXT = 8,
    CU_JIT_TARGET = 9,
    CU_JIT_FALLBACK_STRATEGY = 10,
    CU_JIT_GENERATE_DEBUG_INFO = 11,
    /// <summary>In: non-zero to make the info log verbose.</summary>
    CU_JIT_LOG_VERBOSE = 12,
    CU_JIT_GENERATE_LINE_INFO = 13,
    CU_JIT_CACHE_MODE = 14,
    CU_JIT_NEW_SM3X_OPT = 15,
    CU_JIT_FAST_COMPILE = 16,
    CU_JIT_GLOBAL_SYMBOL_NAMES = 17,
    CU_JIT_GLOBAL_SYMBOL_ADDRESSES = 18,
    CU_JIT_GLOBAL_SYMBOL_COUNT = 19,
    CU_JIT_LTO = 20,
    CU_JIT_FTZ = 21,
    CU_JIT_PREC_DIV = 22,
    CU_JIT_PREC_SQRT = 23,
    CU_JIT_FMA = 24,
    CU_JIT_REFERENCED_KERNEL_NAMES = 25,
    CU_JIT_REFERENCED_KERNEL_COUNT = 26,
    CU_JIT_REFERENCED_VARIABLE_NAMES = 27,
    CU_JIT_REFERENCED_VARIABLE_COUNT = 28,
    CU_JIT_OPTIMIZE_UNUSED_DEVICE_VARIABLES = 29,
    CU_JIT_POSITION_INDEPENDENT_CODE = 30,
    CU_JIT_MIN_CTA_PER_SM = 31,
    CU_JIT_MAX_THREADS_PER_BLOCK = 32,
    CU_JIT_OVERRIDE_DIRECTIVE_VALUES = 33,
    CU_JIT_SPLIT_COMPILE = 34,
}

/// <summary><c>CUfunction_attribute</c> (values from cuda.h).</summary>
internal enum CUfunction_attribute
{
    CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
    CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,
    CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES = 2,
    CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3,
    CU_FUNC_ATTRIBUTE_NUM_REGS = 4,
    CU_FUNC_ATTRIBUTE_PTX_VERSION = 5,
    CU_FUNC_ATTRIBUTE_BINARY_VERSION = 6,
    CU_FUNC_ATTRIBUTE_CACHE_MODE_CA = 7,
    /// <summary>Settable: dynamic shared memory a launch may ask for; above 48 KiB it must be raised first.</summary>
    CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
    CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT = 9,
    CU_FUNC_ATTRIBUTE_CLUSTER_SIZE_MUST_BE_SET = 10,
    CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_WIDTH = 11,
    CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_HEIGHT = 12,
    CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_DEPTH = 13,
    CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED = 14,
    CU_FUNC_ATTRIBUTE_CLUSTER_SCHEDULING_POLICY_PREFERENCE = 15,
}

/// <summary><c>CUstream_flags</c> for cuStreamCreate.</summary>
[Flags]
internal enum CUstream_flags : uint
{
    CU_STREAM_DEFAULT = 0x0,
    /// <summary>The stream does not synchronise with the legacy null stream.</summary>
    CU_STREAM_NON_BLOCKING = 0x1,
}

/// <summary><c>CUevent_flags</c> for cuEventCreate.</summary>
[Flags]
internal enum CUevent_flags : uint
{
    CU_EVENT_DEFAULT = 0x0,
    CU_EVENT_BLOCKING_SYNC = 0x1,
    /// <summary>Cheaper events that cannot be timed (cuEventElapsedTime_v2 then fails).</summary>
    CU_EVENT_DISABLE_TIMING = 0x2,
    CU_EVENT_INTERPROCESS = 0x4,
}
