using DePT.Diagnostics;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>Named (ours, reference) pairs from one fixture run, checked against relative-error bounds.</summary>
internal sealed class ParityResults
{
    private readonly List<(string Name, float[] Actual, float[] Expected)> _pairs = [];

    public IReadOnlyList<(string Name, float[] Actual, float[] Expected)> Pairs => _pairs;

    public int[,]? GeneratedIds { get; set; }

    public int[]? ExpectedGeneratedIds { get; set; }

    public int[]? DecoderInputIds { get; set; }

    public int[]? ExpectedDecoderInputIds { get; set; }

    /// <summary>(B, T, d) gradient at the padded positions, which must be exactly zero on the CPU.</summary>
    public float[]? PaddedGradient { get; set; }

    public void Add(string name, Tensor actual, ReferenceFixture fixture) => _pairs.Add((name, actual.ToFloatArray(), fixture.Floats(name)));

    public void Add(string name, float[] actual, float[] expected) => _pairs.Add((name, actual, expected));

    public double Error(string name)
    {
        var (_, actual, expected) = _pairs.Single(p => p.Name == name);
        return ErrorMetrics.Relative(actual, expected);
    }

    /// <summary>
    /// Every pair within its bound (derived values, i.e. gradients (grad_…) and the loss, get the second bound). The
    /// message lists all errors.
    /// </summary>
    public void AssertWithin(double outputBound, double derivedBound, string context)
    {
        string report = Report();
        TestContext.Out.WriteLine($"{context}: {report}");
        Assert.Multiple(() =>
        {
            foreach (var (name, actual, expected) in _pairs)
            {
                double bound = IsDerived(name) ? derivedBound : outputBound;
                Assert.That(actual, Has.Length.EqualTo(expected.Length), $"{context} {name}: length");
                double error = ErrorMetrics.Relative(actual, expected);
                Assert.That(error, Is.LessThanOrEqualTo(bound), $"{context} {name}: relative error {error:E2} > {bound:E0}; {ErrorMetrics.FirstMismatches(actual, expected, bound)}");
            }
        });
    }

    /// <summary>Gradients and the loss: values that sum over many outputs, with cancellation.</summary>
    private static bool IsDerived(string name) => name.StartsWith("grad_", StringComparison.Ordinal) || name == "loss";

    public string Report() => string.Join(", ", _pairs.Select(p => $"{p.Name} {ErrorMetrics.Relative(p.Actual, p.Expected):E2}"));
}
