using System.Text.Json;

namespace DePT.IO;

/// <summary>
/// The index of a sharded Hugging Face checkpoint (<c>model.safetensors.index.json</c>):
/// <c>{"metadata": {...}, "weight_map": {tensor: shard file}}</c>. Loading checks the JSON only; that the shards
/// exist and hold what the map says is checked by <see cref="ModelWeights.Open"/>.
/// </summary>
public sealed class SafetensorsIndex
{
    /// <summary>The file name Hugging Face gives the index.</summary>
    public const string FileName = "model.safetensors.index.json";

    private SafetensorsIndex(string filePath, IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, string> weightMap)
    {
        FilePath = filePath;
        Metadata = metadata;
        WeightMap = weightMap;
        ShardFiles = weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The full path of the index file.</summary>
    public string FilePath { get; }

    /// <summary>
    /// The <c>metadata</c> object: string values as they are, other values as their JSON text
    /// (so <c>"total_size": 891614208</c> reads <c>"891614208"</c>). Empty when absent.
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The metadata's <c>total_size</c> (bytes of tensor data over all shards) when present and integral.</summary>
    public long? TotalSize => Metadata.TryGetValue("total_size", out var text) && long.TryParse(text, out long size) ? size : null;

    /// <summary>Tensor name → shard file name (relative to the index's folder).</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary>The distinct shard file names, in ordinal order.</summary>
    public IReadOnlyList<string> ShardFiles { get; }

    /// <summary>Reads and checks an index file.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="SafetensorsFormatException">
    /// Malformed JSON; <c>weight_map</c> missing, empty or not an object of strings; a shard name that is not a plain
    /// file name in the index's folder; a tensor listed twice.
    /// </exception>
    public static SafetensorsIndex Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"Safetensors index '{fullPath}' does not exist.", fullPath);
        }

        using (var document = JsonFile.Parse(fullPath, ex => new SafetensorsFormatException(fullPath, null, $"the index is not valid JSON ({ex.Message}).", ex)))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new SafetensorsFormatException(fullPath, null, $"the index is a JSON {root.ValueKind}, expected an object.");
            }
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("metadata", out var metadataElement) && metadataElement.ValueKind != JsonValueKind.Null)
            {
                if (metadataElement.ValueKind != JsonValueKind.Object)
                {
                    throw new SafetensorsFormatException(fullPath, null, $"'metadata' is a JSON {metadataElement.ValueKind}, expected an object.");
                }
                foreach (var entry in metadataElement.EnumerateObject())
                {
                    metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();
                }
            }

            if (!root.TryGetProperty("weight_map", out var mapElement) || mapElement.ValueKind != JsonValueKind.Object)
            {
                throw new SafetensorsFormatException(fullPath, null, "'weight_map' is missing or not an object of tensor name → shard file.");
            }
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in mapElement.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                {
                    throw new SafetensorsFormatException(fullPath, entry.Name, $"its 'weight_map' value is a JSON {entry.Value.ValueKind}, expected a shard file name.");
                }
                string shard = entry.Value.GetString()!;
                // A shard must sit beside the index: a path could point anywhere on disk.
                if (shard.Length == 0 || shard is "." or ".." || Path.GetFileName(shard) != shard || shard.Contains('\\'))
                {
                    throw new SafetensorsFormatException(fullPath, entry.Name, $"its shard '{shard}' is not a plain file name in the index's folder.");
                }
                if (!weightMap.TryAdd(entry.Name, shard))
                {
                    throw new SafetensorsFormatException(fullPath, entry.Name, "'weight_map' lists this tensor twice.");
                }
            }
            if (weightMap.Count == 0)
            {
                throw new SafetensorsFormatException(fullPath, null, "'weight_map' lists no tensors.");
            }
            return new SafetensorsIndex(fullPath, metadata, weightMap);
        }
    }
}
