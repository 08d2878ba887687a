using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DePT.Native;

/// <summary>
/// Maps the logical names used in <c>[LibraryImport]</c> ("cuda", "cublas", "nvrtc", "nccl") to the first
/// file of a supported version that the OS loader can open, so one build runs against CUDA 13 or 12, and a
/// missing library fails with a message that lists every file name tried. NCCL is also looked for where
/// <see cref="NcclPathVariable"/> points first: pip's nvidia-nccl wheels (PyTorch's NCCL) keep libnccl.so.2 in
/// site-packages/nvidia/nccl/lib, which is on no loader path.
/// </summary>
internal static class NativeLibraries
{
    internal const string Cuda = "cuda";
    internal const string Cublas = "cublas";
    internal const string Nvrtc = "nvrtc";
    internal const string Nccl = "nccl";

    /// <summary>Environment variable naming libnccl.so.2, or the folder holding it, to try before the loader path.</summary>
    internal const string NcclPathVariable = "DEPT_NCCL_PATH";

    private sealed record Family(string LogicalName, string Description, string Hint, string[] LinuxNames, string[] WindowsNames, string? PathVariable = null);

    // Indexed by NativeLibraryKind. Newest version first: a machine with both loads the newest.
    private static readonly Family[] Families =
    [
        new(Cuda, "CUDA driver (libcuda)", "Is an NVIDIA driver installed?",
            ["libcuda.so.1", "libcuda.so"], ["nvcuda.dll"]),
        new(Cublas, "cuBLAS (libcublas)",
            "Install cuBLAS from CUDA 13 or 12 and put its library folder on the loader path (LD_LIBRARY_PATH or PATH).",
            ["libcublas.so.13", "libcublas.so.12"], ["cublas64_13.dll", "cublas64_12.dll"]),
        new(Nvrtc, "NVRTC (libnvrtc)",
            "Install NVRTC from CUDA 13 or 12 and put its library folder on the loader path (LD_LIBRARY_PATH or PATH).",
            ["libnvrtc.so.13", "libnvrtc.so.12"], ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll"]),
        new(Nccl, "NCCL (libnccl)",
            $"Install NCCL 2 and put its library folder on LD_LIBRARY_PATH, or set {NcclPathVariable} to libnccl.so.2 or its folder " +
            "(PyTorch's copy: python3 -c \"import nvidia.nccl, os; print(os.path.join(nvidia.nccl.__path__[0], 'lib'))\").",
            ["libnccl.so.2"], [], NcclPathVariable),
    ];

    private static readonly Lock Gate = new();
    private static readonly nint[] Handles = new nint[Families.Length];
    private static readonly string?[] LoadedNames = new string?[Families.Length];

    // A module initializer runs before any code of this assembly, so the resolver is in place before the
    // first P/Invoke into any of the libraries; SetDllImportResolver may be called only once per assembly.
#pragma warning disable CA2255 // Installing a DllImport resolver is what module initializers in libraries are for.
    [ModuleInitializer]
    internal static void InstallResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
#pragma warning restore CA2255

    /// <summary>
    /// The file names tried for <paramref name="kind"/> on this OS, in order: the family's path variable first when it
    /// is set (a file as given; a folder with the first file name of the family inside it), then the plain names.
    /// </summary>
    internal static IReadOnlyList<string> Candidates(NativeLibraryKind kind)
    {
        var family = FamilyOf(kind);
        var names = OperatingSystem.IsWindows() ? family.WindowsNames : family.LinuxNames;
        if (family.PathVariable is null || Environment.GetEnvironmentVariable(family.PathVariable) is not { Length: > 0 } path || names.Length == 0)
        {
            return names;
        }

        return [Directory.Exists(path) ? Path.Combine(path, names[0]) : path, .. names];
    }

    /// <summary>The file name that was loaded for <paramref name="kind"/>, or null when it has not been loaded (yet).</summary>
    internal static string? LoadedName(NativeLibraryKind kind)
    {
        lock (Gate)
        {
            return LoadedNames[(int)kind];
        }
    }

    /// <summary>Loads <paramref name="kind"/> if it is not loaded yet; false when no candidate loads.</summary>
    internal static bool TryLoad(NativeLibraryKind kind) => TryLoad(kind, out _);

    /// <summary>
    /// Loads <paramref name="kind"/> if it is not loaded yet; when no candidate loads, returns false and the
    /// message a call into the library would throw (for diagnostics such as <c>dept doctor</c>).
    /// </summary>
    internal static bool TryLoad(NativeLibraryKind kind, [NotNullWhen(false)] out string? failureMessage) =>
        TryLoadHandle(kind, out _, out failureMessage);

    /// <summary>
    /// Loads the first of <paramref name="candidates"/> that the OS loader opens.
    /// Throws <see cref="DllNotFoundException"/> naming the library family and every candidate when none does.
    /// </summary>
    internal static (nint Handle, string Name) LoadFirst(string description, string hint, IReadOnlyList<string> candidates)
    {
        if (TryLoadFirst(candidates, out var handle, out var name))
        {
            return (handle, name);
        }

        throw new DllNotFoundException(NotFoundMessage(description, hint, candidates));
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        for (var kind = 0; kind < Families.Length; kind++)
        {
            if (Families[kind].LogicalName == libraryName)
            {
                return TryLoadHandle((NativeLibraryKind)kind, out var handle, out var failureMessage)
                    ? handle
                    : throw new DllNotFoundException(failureMessage);
            }
        }

        return 0; // Not one of ours: the runtime probes as usual.
    }

    private static bool TryLoadHandle(NativeLibraryKind kind, out nint handle, [NotNullWhen(false)] out string? failureMessage)
    {
        var family = FamilyOf(kind);
        var candidates = Candidates(kind);
        lock (Gate)
        {
            if (Handles[(int)kind] == 0 && TryLoadFirst(candidates, out var loaded, out var name))
            {
                Handles[(int)kind] = loaded;
                LoadedNames[(int)kind] = name;
            }

            handle = Handles[(int)kind];
        }

        failureMessage = handle == 0 ? NotFoundMessage(family.Description, family.Hint, candidates) : null;
        return handle != 0;
    }

    private static bool TryLoadFirst(IReadOnlyList<string> candidates, out nint handle, [NotNullWhen(true)] out string? name)
    {
        foreach (var candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out handle))
            {
                name = candidate;
                return true;
            }
        }

        handle = 0;
        name = null;
        return false;
    }

    private static string NotFoundMessage(string description, string hint, IReadOnlyList<string> candidates) =>
        candidates.Count == 0
            ? $"{description} not found: no file name is known for it on this OS. {hint}"
            : $"{description} not found: tried {string.Join(", ", candidates)}. {hint}";

    private static Family FamilyOf(NativeLibraryKind kind) =>
        (uint)kind < (uint)Families.Length
            ? Families[(int)kind]
            : throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown native library kind.");
}
