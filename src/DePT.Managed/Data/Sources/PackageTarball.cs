using System.Formats.Tar;
using System.IO.Compression;

namespace DePT.Data.Sources;

/// <summary>Reads files out of an npm package tarball (a gzipped tar whose paths start with "package/").</summary>
internal static class PackageTarball
{
    /// <summary>Writes each wanted entry of <paramref name="tarballPath"/> to its destination path. Each file is
    /// written under a temporary name and moved into place, so a reader never sees a half-written file.</summary>
    /// <param name="tarballPath">The .tgz file.</param>
    /// <param name="destinations">Entry name inside the tarball (e.g. "package/test/fixtures/imdb.json") to
    /// the path it is written to.</param>
    /// <exception cref="InvalidDataException">The tarball is not a gzipped tar, or lacks a wanted entry.</exception>
    public static void Extract(string tarballPath, IReadOnlyDictionary<string, string> destinations)
    {
        var pending = new HashSet<string>(destinations.Keys, StringComparer.Ordinal);
        using (FileStream file = File.OpenRead(tarballPath))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        using (var reader = new TarReader(gzip))
        {
            while (pending.Count > 0 && reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                if (!pending.Remove(entry.Name)) continue;
                if (entry.DataStream is null)
                    throw new InvalidDataException($"{tarballPath}: entry {entry.Name} has no data.");

                string destination = destinations[entry.Name];
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                string temporary = $"{destination}.{Guid.NewGuid():N}.tmp";
                using (FileStream output = File.Create(temporary))
                {
                    entry.DataStream.CopyTo(output);
                }
                File.Move(temporary, destination, overwrite: true);
            }
        }
        if (pending.Count > 0)
        {
            throw new InvalidDataException(
                $"{tarballPath}: missing entries {string.Join(", ", pending.Order(StringComparer.Ordinal))}.");
        }
    }
}
