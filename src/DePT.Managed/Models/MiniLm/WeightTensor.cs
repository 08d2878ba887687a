namespace DePT.Models.MiniLm;

/// <summary>A named fp32 weight on the host, row-major, outermost dimension first.</summary>
public sealed class WeightTensor
{
    /// <summary>Wraps <paramref name="data"/> (not copied).</summary>
    /// <exception cref="ArgumentException">The data length is not the product of the shape.</exception>
    public WeightTensor(string name, int[] shape, float[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim < 0)
                throw new ArgumentException($"Weight '{name}' has negative dimension {dim} in shape [{string.Join(", ", shape)}].", nameof(shape));
            count *= dim;
        }
        if (count != data.Length)
            throw new ArgumentException($"Weight '{name}' has {data.Length} values; shape [{string.Join(", ", shape)}] needs {count}.", nameof(data));
        Name = name;
        Shape = shape;
        Data = data;
    }

    /// <summary>The Hugging Face parameter name, e.g. <c>encoder.layer.0.attention.self.query.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The shape; linear weights are (out, in).</summary>
    public int[] Shape { get; }

    /// <summary>The values, row-major.</summary>
    public float[] Data { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
