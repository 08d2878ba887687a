namespace DePT.IO;

/// <summary>
/// The weights of a Hugging Face model folder, one file or sharded, behind one lookup by tensor name.
/// <see cref="Open"/> reads <c>model.safetensors</c> when present (as transformers does), else
/// <c>model.safetensors.index.json</c> and its shards, and checks that every shard exists, holds every tensor the
/// index maps to it, and holds no tensor the index does not list, so every name has exactly one home.
/// </summary>
public sealed class ModelWeights : IDisposable
{
    /// <summary>The file name of unsharded weights.</summary>
    public const string SingleFileName = "model.safetensors";

    private readonly Dictionary<string, SafetensorsFile> _fileByTensor;

    private ModelWeights(string folder, SafetensorsIndex? index, IReadOnlyList<SafetensorsFile> files, Dictionary<string, SafetensorsFile> fileByTensor)
    {
        Folder = folder;
        Index = index;
        Files = files;
        _fileByTensor = fileByTensor;
        TensorNames = fileByTensor.Keys.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The full path of the model folder.</summary>
    public string Folder { get; }

    /// <summary>The shard index, or null when the weights are one <c>model.safetensors</c>.</summary>
    public SafetensorsIndex? Index { get; }

    /// <summary>The open weight files (one, or every shard in ordinal name order).</summary>
    public IReadOnlyList<SafetensorsFile> Files { get; }

    /// <summary>Every tensor name across all files, in ordinal order.</summary>
    public IReadOnlyList<string> TensorNames { get; }

    /// <summary>Opens the weights of the Hugging Face model folder <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder holds neither weights file, or a shard the index names is missing.</exception>
    /// <exception cref="SafetensorsFormatException">A malformed file, or shards and index that disagree; the message names the file and tensor.</exception>
    public static ModelWeights Open(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string fullFolder = Path.GetFullPath(folder);
        if (!Directory.Exists(fullFolder))
        {
            throw new DirectoryNotFoundException($"Model folder '{fullFolder}' does not exist.");
        }

        string singlePath = Path.Combine(fullFolder, SingleFileName);
        if (File.Exists(singlePath))
        {
            var file = SafetensorsFile.Open(singlePath);
            return new ModelWeights(fullFolder, null, [file], file.Tensors.ToDictionary(t => t.Name, _ => file, StringComparer.Ordinal));
        }
        string indexPath = Path.Combine(fullFolder, SafetensorsIndex.FileName);
        if (File.Exists(indexPath))
        {
            return OpenSharded(fullFolder, SafetensorsIndex.Load(indexPath));
        }
        throw new FileNotFoundException(DescribeMissingWeights(fullFolder), singlePath);
    }

    /// <summary>Whether any weight file holds tensor <paramref name="name"/>.</summary>
    public bool Contains(string name) => _fileByTensor.ContainsKey(name);

    /// <summary>The file (shard) holding tensor <paramref name="name"/>.</summary>
    /// <exception cref="TensorNotFoundException">No file holds it; the message lists the closest names.</exception>
    public SafetensorsFile GetFile(string name) =>
        _fileByTensor.TryGetValue(name, out var file)
            ? file
            : throw new TensorNotFoundException(name, Folder, NameSuggestions.Closest(name, _fileByTensor.Keys));

    /// <summary>The entry of tensor <paramref name="name"/>.</summary>
    /// <inheritdoc cref="GetFile" path="/exception"/>
    public SafetensorsTensorInfo GetInfo(string name) => GetFile(name).GetInfo(name);

    /// <summary>The raw bytes of tensor <paramref name="name"/>; valid only until this object is disposed.</summary>
    /// <inheritdoc cref="SafetensorsFile.GetBytes(string)" path="/exception"/>
    public ReadOnlySpan<byte> GetBytes(string name) => GetFile(name).GetBytes(name);

    /// <inheritdoc cref="SafetensorsFile.ReadAsFloat32"/>
    public void ReadAsFloat32(string name, Span<float> destination) => GetFile(name).ReadAsFloat32(name, destination);

    /// <inheritdoc cref="SafetensorsFile.ReadFloat32"/>
    public float[] ReadFloat32(string name) => GetFile(name).ReadFloat32(name);

    /// <inheritdoc cref="SafetensorsFile.ReadAsBFloat16"/>
    public void ReadAsBFloat16(string name, Span<ushort> destination) => GetFile(name).ReadAsBFloat16(name, destination);

    /// <inheritdoc cref="SafetensorsFile.ReadBFloat16"/>
    public ushort[] ReadBFloat16(string name) => GetFile(name).ReadBFloat16(name);

    /// <inheritdoc cref="SafetensorsFile.ReadAsInt32"/>
    public void ReadAsInt32(string name, Span<int> destination) => GetFile(name).ReadAsInt32(name, destination);

    /// <inheritdoc cref="SafetensorsFile.ReadInt32"/>
    public int[] ReadInt32(string name) => GetFile(name).ReadInt32(name);

    /// <inheritdoc cref="SafetensorsFile.ReadAsInt64"/>
    public void ReadAsInt64(string name, Span<long> destination) => GetFile(name).ReadAsInt64(name, destination);

    /// <inheritdoc cref="SafetensorsFile.ReadInt64"/>
    public long[] ReadInt64(string name) => GetFile(name).ReadInt64(name);

    /// <summary>
    /// Checks the weights against the tensor names a model expects: every expected name must be present, and
    /// unless <paramref name="allowExtra"/>, nothing else may be.
    /// </summary>
    /// <exception cref="WeightsMismatchException">Names are missing or unexpected; the message lists up to 10 of each with counts.</exception>
    public void Validate(IEnumerable<string> expected, bool allowExtra)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var expectedSet = new HashSet<string>(expected, StringComparer.Ordinal);
        string[] missing = expectedSet.Where(name => !_fileByTensor.ContainsKey(name)).Order(StringComparer.Ordinal).ToArray();
        string[] unexpected = allowExtra ? [] : TensorNames.Where(name => !expectedSet.Contains(name)).ToArray();
        if (missing.Length > 0 || unexpected.Length > 0)
        {
            throw new WeightsMismatchException(Folder, missing, unexpected);
        }
    }

    /// <summary>Unmaps every file. Spans from <see cref="GetBytes"/> must not be read afterwards.</summary>
    public void Dispose()
    {
        foreach (var file in Files)
        {
            file.Dispose();
        }
    }

    private static ModelWeights OpenSharded(string folder, SafetensorsIndex index)
    {
        string[] missingShards = index.ShardFiles.Where(shard => !File.Exists(Path.Combine(folder, shard))).ToArray();
        if (missingShards.Length > 0)
        {
            throw new FileNotFoundException(
                $"Index '{index.FilePath}' maps tensors to {missingShards.Length} shard file(s) missing from '{folder}': {NameList.Format(missingShards)}.",
                Path.Combine(folder, missingShards[0]));
        }

        var files = new List<SafetensorsFile>(index.ShardFiles.Count);
        try
        {
            var fileByTensor = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (string shard in index.ShardFiles)
            {
                var file = SafetensorsFile.Open(Path.Combine(folder, shard));
                files.Add(file);
                foreach (var tensor in file.Tensors)
                {
                    if (!index.WeightMap.TryGetValue(tensor.Name, out var mappedShard))
                    {
                        throw new SafetensorsFormatException(file.FilePath, tensor.Name,
                            $"the shard holds this tensor but index '{index.FilePath}' does not list it.");
                    }
                    if (mappedShard != shard)
                    {
                        throw new SafetensorsFormatException(file.FilePath, tensor.Name,
                            $"the shard holds this tensor but index '{index.FilePath}' maps it to '{mappedShard}'.");
                    }
                    fileByTensor.Add(tensor.Name, file);
                }
            }

            string[] absent = index.WeightMap.Keys.Where(name => !fileByTensor.ContainsKey(name)).Order(StringComparer.Ordinal).ToArray();
            if (absent.Length > 0)
            {
                string first = absent[0];
                throw new SafetensorsFormatException(index.FilePath, first,
                    $"the index maps it to shard '{index.WeightMap[first]}', which does not hold it ({absent.Length} mapped tensor(s) absent from their shards: {NameList.Format(absent)}).");
            }
            return new ModelWeights(folder, index, files, fileByTensor);
        }
        catch
        {
            foreach (var file in files)
            {
                file.Dispose();
            }
            throw;
        }
    }

    /// <summary>Why no weights were found, with what the folder does hold.</summary>
    private static string DescribeMissingWeights(string folder)
    {
        string message = $"Model folder '{folder}' holds neither '{SingleFileName}' nor '{SafetensorsIndex.FileName}'.";
        string[] otherSafetensors = Directory.GetFiles(folder, "*.safetensors").Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray();
        if (otherSafetensors.Length > 0)
        {
            message += $" It has other safetensors files: {NameList.Format(otherSafetensors)}; open one with SafetensorsFile.Open.";
        }
        if (File.Exists(Path.Combine(folder, "pytorch_model.bin")) || File.Exists(Path.Combine(folder, "pytorch_model.bin.index.json")))
        {
            message += " It has PyTorch pickle weights (pytorch_model.bin), which are not read here; convert them to safetensors first.";
        }
        return message;
    }
}
