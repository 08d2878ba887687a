using System.Text;
using DePT.Devices;
using DePT.Native;

namespace DePT.Kernels;

/// <summary>
/// The project's kernels loaded on one device. Source of the image, in order: the file named by
/// <c>DEPT_KERNELS</c>; <c>dept_kernels.fatbin</c> next to the assembly (built by CMake); otherwise the
/// embedded sources compiled by NVRTC for the device's compute capability, cached on disk under a key of
/// source hash, architecture and NVRTC version.
/// </summary>
public sealed unsafe class CudaKernelModule : IDisposable
{
    /// <summary>The fatbin's file name, as CMake writes it and as it is looked for next to the assembly.</summary>
    public const string FatbinFileName = "dept_kernels.fatbin";

    /// <summary>Environment variable naming a fatbin/cubin to load instead of any other.</summary>
    public const string KernelsVariable = "DEPT_KERNELS";

    /// <summary>Environment variable naming the NVRTC cubin cache folder.</summary>
    public const string CacheVariable = "DEPT_KERNEL_CACHE";

    private readonly CudaDevice _device;
    private readonly Dictionary<string, CUfunction> _functions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _dynamicShared = new(StringComparer.Ordinal);   // bytes each kernel was opted in to
    private int _sharedOptIn = -1;
    private CUmodule _module;

    private CudaKernelModule(CudaDevice device, CUmodule module, KernelLoadPath path, string origin)
    {
        _device = device;
        _module = module;
        LoadPath = path;
        Origin = origin;
    }

    /// <summary>Which path produced the loaded image.</summary>
    public KernelLoadPath LoadPath { get; }

    /// <summary>The file the image came from (fatbin or cached cubin).</summary>
    public string Origin { get; }

    /// <summary>The folder NVRTC cubins are cached in.</summary>
    public static string CacheDirectory
    {
        get
        {
            var explicitDir = Environment.GetEnvironmentVariable(CacheVariable);
            if (!string.IsNullOrWhiteSpace(explicitDir)) return explicitDir;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = string.IsNullOrWhiteSpace(xdg)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
                : xdg;
            return Path.Combine(root, "dept", "kernels");
        }
    }

    internal static CudaKernelModule Load(CudaDevice device)
    {
        var named = Environment.GetEnvironmentVariable(KernelsVariable);
        if (!string.IsNullOrWhiteSpace(named))
        {
            if (!File.Exists(named))
                throw new FileNotFoundException($"{KernelsVariable} names '{named}', which does not exist.", named);
            return FromImage(device, File.ReadAllBytes(named), KernelLoadPath.Fatbin, Path.GetFullPath(named));
        }

        var beside = Path.Combine(AppContext.BaseDirectory, FatbinFileName);
        if (File.Exists(beside))
        {
            try
            {
                return FromImage(device, File.ReadAllBytes(beside), KernelLoadPath.Fatbin, beside);
            }
            catch (CudaException e) when (e.Status == (int)CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU)
            {
                // A fatbin built for other architectures: the embedded sources still serve this device.
            }
        }
        return FromSources(device, useCache: true);
    }

    /// <summary>Compiles the embedded sources with NVRTC (through the disk cache when allowed) and loads them.</summary>
    internal static CudaKernelModule FromSources(CudaDevice device, bool useCache)
    {
        int arch = device.ComputeCapabilityMajor * 10 + device.ComputeCapabilityMinor;
        string nvrtc = NvrtcCompiler.Version();
        string key = $"{KernelSources.Hash()[..24]}-sm{arch}-nvrtc{nvrtc}";
        string cached = Path.Combine(CacheDirectory, key + ".cubin");
        if (useCache && File.Exists(cached))
        {
            try
            {
                return FromImage(device, File.ReadAllBytes(cached), KernelLoadPath.NvrtcCached, cached);
            }
            catch (CudaException)
            {
                File.Delete(cached); // A damaged cache entry is rebuilt below.
            }
        }

        var cubin = NvrtcCompiler.CompileToCubin(KernelSources.Files, KernelSources.MainFile, arch, []);
        if (useCache) WriteAtomically(cached, cubin);
        return FromImage(device, cubin, KernelLoadPath.NvrtcCompiled, useCache ? cached : "(memory)");
    }

    /// <summary>Looks a kernel up by its extern "C" name (cached).</summary>
    internal CUfunction Function(string name)
    {
        if (_functions.TryGetValue(name, out var f)) return f;
        _device.MakeCurrent();
        CudaException.ThrowIfFailed(CudaDriver.cuModuleGetFunction(out f, _module, name), call: $"cuModuleGetFunction(module, \"{name}\")");
        _functions[name] = f;
        return f;
    }

    /// <summary>The most shared memory one block may have on this device (CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN).</summary>
    internal int SharedMemoryPerBlockOptIn =>
        _sharedOptIn >= 0 ? _sharedOptIn : _sharedOptIn = _device.Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);

    /// <summary>
    /// Lets <paramref name="name"/> launch with <paramref name="bytes"/> of dynamic shared memory: above 48 KiB the kernel must
    /// be opted in first (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES); raised only when a launch needs more than before.
    /// </summary>
    internal void EnsureDynamicSharedMemory(string name, int bytes)
    {
        if (bytes <= 48 * 1024 || (_dynamicShared.TryGetValue(name, out int granted) && granted >= bytes)) return;
        var function = Function(name);
        CudaException.ThrowIfFailed(CudaDriver.cuFuncSetAttribute(function, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
            call: $"cuFuncSetAttribute({name}, MAX_DYNAMIC_SHARED_SIZE_BYTES, {bytes})");
        _dynamicShared[name] = bytes;
    }

    /// <summary>Launches <paramref name="name"/> on the device's stream with one by-value struct argument.</summary>
    internal void Launch<TArgs>(string name, LaunchShape shape, in TArgs args) where TArgs : unmanaged
    {
        var function = Function(name);
        if (shape.IsEmpty) return;
        fixed (TArgs* a = &args)
        {
            void* argument = a;
            CudaException.ThrowIfFailed(CudaDriver.cuLaunchKernel(function,
                shape.GridX, shape.GridY, shape.GridZ, shape.BlockX, 1, 1, shape.SharedBytes, _device.Stream, &argument, null),
                call: $"cuLaunchKernel({name}, grid ({shape.GridX}, {shape.GridY}, {shape.GridZ}), block {shape.BlockX})");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_module.IsNull) return;
        _device.MakeCurrent();
        CudaDriver.cuModuleUnload(_module);
        _module = default;
        _functions.Clear();
        _dynamicShared.Clear();
    }

    private static CudaKernelModule FromImage(CudaDevice device, byte[] image, KernelLoadPath path, string origin)
    {
        device.MakeCurrent();
        const int logSize = 16 * 1024;
        var errorLog = new byte[logSize];
        fixed (byte* data = image)
        fixed (byte* log = errorLog)
        {
            var options = stackalloc CUjit_option[] { CUjit_option.CU_JIT_ERROR_LOG_BUFFER, CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES };
            var values = stackalloc void*[] { log, (void*)logSize };
            var status = CudaDriver.cuModuleLoadDataEx(out var module, data, 2, options, values);
            if (status != CUresult.CUDA_SUCCESS)
            {
                int end = Array.IndexOf(errorLog, (byte)0);
                CudaException.ThrowIfFailed(status, Encoding.UTF8.GetString(errorLog, 0, end < 0 ? logSize : end), $"cuModuleLoadDataEx({origin})");
            }
            return new CudaKernelModule(device, module, path, origin);
        }
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // one temporary file per writer: the devices of a data-parallel run compile, and cache, at the same time
        string temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
