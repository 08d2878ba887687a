using DePT.IO;

namespace DePT.Models.Runtime;

/// <summary>
/// Named host weights a model is built from (a Hugging Face safetensors folder, or the MiniLM ONNX weights), with
/// the checks every loader runs before it allocates anything: the names a model expects, and their shapes.
/// </summary>
internal abstract class WeightSource
{
    /// <summary>The folder or file the weights come from, for messages.</summary>
    public abstract string Origin { get; }

    public abstract IReadOnlyCollection<string> Names { get; }

    public abstract bool Contains(string name);

    public abstract int[] GetShape(string name);

    /// <summary>Where tensor <paramref name="name"/> is stored (its file), for messages.</summary>
    public abstract string Locate(string name);

    /// <summary>Reads tensor <paramref name="name"/> as floats.</summary>
    public abstract void Read(string name, Span<float> destination);

    /// <summary>Whether two stored tensors hold the same values (used to tell a tied alias from a distinct weight).</summary>
    public abstract bool SameValues(string first, string second);

    /// <summary>
    /// Checks that every required name is present, that nothing outside required ∪ optional is (except names
    /// <paramref name="isForeign"/> accepts, such as a task head's), and that every present tensor has its expected shape.
    /// </summary>
    /// <exception cref="WeightsMismatchException">Names are missing or unexpected.</exception>
    /// <exception cref="InvalidDataException">Shapes differ; the message lists every such tensor with its file.</exception>
    public void Check(IReadOnlyDictionary<string, int[]> required, IReadOnlyDictionary<string, int[]> optional, Func<string, bool>? isForeign, string shapeContext)
    {
        string[] missing = required.Keys.Where(name => !Contains(name)).Order(StringComparer.Ordinal).ToArray();
        string[] unexpected = Names
            .Where(name => !required.ContainsKey(name) && !optional.ContainsKey(name) && !(isForeign?.Invoke(name) ?? false))
            .Order(StringComparer.Ordinal).ToArray();
        if (missing.Length > 0 || unexpected.Length > 0) throw new WeightsMismatchException(Origin, missing, unexpected);

        var problems = new List<string>();
        foreach (var (name, shape) in required.Concat(optional))
        {
            if (!Contains(name)) continue;
            int[] actual = GetShape(name);
            if (!actual.AsSpan().SequenceEqual(shape))
                problems.Add($"'{name}' in '{Locate(name)}' has shape [{string.Join(", ", actual)}], expected [{string.Join(", ", shape)}]");
        }
        if (problems.Count > 0)
        {
            throw new InvalidDataException(
                $"The weights in '{Origin}' do not fit the model's config ({shapeContext}): {problems.Count} tensor(s) with the wrong shape: {string.Join("; ", problems.Take(10))}{(problems.Count > 10 ? "; ..." : "")}.");
        }
    }
}
