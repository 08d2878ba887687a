using System.Text;
using DePT.Native;

namespace DePT.Kernels;

/// <summary>Compiles CUDA C++ sources to a cubin for one architecture with NVRTC.</summary>
internal static unsafe class NvrtcCompiler
{
    /// <summary>NVRTC's version as "major.minor", e.g. "13.0"; throws when NVRTC cannot be loaded.</summary>
    public static string Version()
    {
        CudaException.ThrowIfFailed(Nvrtc.nvrtcVersion(out int major, out int minor));
        return $"{major}.{minor}";
    }

    /// <summary>
    /// Compiles <paramref name="mainFile"/> of <paramref name="files"/> (the others are offered as headers by
    /// name) for <c>sm_{arch}</c>. A failure throws a <see cref="CudaException"/> carrying the compiler's log.
    /// </summary>
    public static byte[] CompileToCubin(IReadOnlyDictionary<string, string> files, string mainFile, int arch, IReadOnlyList<string> extraOptions)
    {
        var headers = files.Where(f => f.Key != mainFile).OrderBy(f => f.Key, StringComparer.Ordinal).ToArray();
        var options = new List<string> { $"--gpu-architecture=sm_{arch}", "--std=c++17" };
        options.AddRange(extraOptions);

        CudaException.ThrowIfFailed(Nvrtc.nvrtcCreateProgram(out var program, files[mainFile], mainFile, headers.Length,
            headers.Select(h => h.Value).ToArray(), headers.Select(h => h.Key).ToArray()));
        try
        {
            var status = Nvrtc.nvrtcCompileProgram(program, options.Count, options.ToArray());
            if (status != nvrtcResult.NVRTC_SUCCESS)
                CudaException.ThrowIfFailed(status, ReadLog(program), $"nvrtcCompileProgram({mainFile}, {string.Join(' ', options)})");
            CudaException.ThrowIfFailed(Nvrtc.nvrtcGetCUBINSize(program, out nuint size));
            var cubin = new byte[(int)size];
            fixed (byte* c = cubin)
                CudaException.ThrowIfFailed(Nvrtc.nvrtcGetCUBIN(program, c));
            return cubin;
        }
        finally
        {
            Nvrtc.nvrtcDestroyProgram(ref program);
        }
    }

    private static string ReadLog(nvrtcProgram program)
    {
        if (Nvrtc.nvrtcGetProgramLogSize(program, out nuint size) != nvrtcResult.NVRTC_SUCCESS || size <= 1) return "";
        var log = new byte[(int)size];
        fixed (byte* l = log)
            if (Nvrtc.nvrtcGetProgramLog(program, l) != nvrtcResult.NVRTC_SUCCESS) return "";
        return Encoding.UTF8.GetString(log, 0, log.Length - 1);
    }
}
