namespace DePT.Data;

/// <summary>The class labels of a classification task in head order: label i is logit i.</summary>
public sealed class LabelSet
{
    private readonly string[] _labels;
    private readonly Dictionary<string, int> _indices;

    /// <summary>Creates the set.</summary>
    /// <param name="labels">Distinct labels, at least two, in head order.</param>
    public LabelSet(IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        _labels = [.. labels];
        if (_labels.Length < 2)
            throw new ArgumentException($"A label set needs at least two labels; got {_labels.Length}.", nameof(labels));
        _indices = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _labels.Length; i++)
        {
            if (!_indices.TryAdd(_labels[i], i))
                throw new ArgumentException($"Label \"{_labels[i]}\" appears twice in the label set.", nameof(labels));
        }
    }

    /// <summary>Number of classes.</summary>
    public int Count => _labels.Length;

    /// <summary>The labels in head order.</summary>
    public IReadOnlyList<string> Labels => _labels;

    /// <summary>Whether <paramref name="label"/> is one of the labels.</summary>
    public bool Contains(string label) => _indices.ContainsKey(label);

    /// <summary>The head index of <paramref name="example"/>'s label.</summary>
    /// <exception cref="DatasetFormatException">The example has no label, or one outside the set.</exception>
    public int IndexOf(Example example)
    {
        ArgumentNullException.ThrowIfNull(example);
        if (example.Label is null)
            throw new DatasetFormatException(example.SourceFile, example.LineNumber, "the row has no label.");
        if (!_indices.TryGetValue(example.Label, out int index))
            throw new DatasetFormatException(example.SourceFile, example.LineNumber, UnknownLabelMessage(example.Label));
        return index;
    }

    internal string UnknownLabelMessage(string label) =>
        $"unknown label \"{label}\"; expected one of: {string.Join(", ", _labels.Select(l => $"\"{l}\""))}.";
}
