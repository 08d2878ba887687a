using System.Numerics.Tensors;
using Tensor = DePT.Tensors.Tensor;

namespace DePT.Backends.Cpu;

// RMS and layer norms over the last dimension, row by row; row sums in double.
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void RmsNorm(Tensor output, Tensor rstd, Tensor input, Tensor weight, float eps)
    {
        var (n, d) = OpChecks.Norm(nameof(RmsNorm), Device, output, input, weight, null, eps, ("rstd", rstd));
        var w = ReadAll(weight);
        ForEachRange(n, 4L * d, (start, end) =>
        {
            var x = new float[d];
            var saved = Host(rstd).AsSpan<float>();
            for (int row = start; row < end; row++)
            {
                ReadRow(input, (long)row * d, x);
                double squares = 0;
                foreach (var v in x) squares += (double)v * v;
                float r = (float)(1 / Math.Sqrt(squares / d + eps));
                saved[row] = r;
                // T5 scales by rstd first, then by the weight.
                TensorPrimitives.Multiply(x, r, x);
                TensorPrimitives.Multiply(x, w, x);
                WriteRow(output, (long)row * d, x);
            }
        });
    }

    /// <inheritdoc />
    public void RmsNormBackward(Tensor dInput, Tensor dOutput, Tensor input, Tensor weight, Tensor rstd, bool accumulate = false)
    {
        var (n, d) = OpChecks.NormBackward(nameof(RmsNormBackward), Device, dInput, dOutput, input, weight, ("rstd", rstd));
        var w = ReadAll(weight);
        // y = x·r·w with r = (mean(x²) + eps)^−½, so dx = r·(g⊙w) − (r³/d)·x·Σ(g⊙w⊙x).
        ForEachRange(n, 8L * d, (start, end) =>
        {
            var x = new float[d];
            var gw = new float[d];
            var dx = new float[d];
            var previous = accumulate ? new float[d] : null;
            var saved = Host(rstd).AsSpan<float>();
            for (int row = start; row < end; row++)
            {
                ReadRow(input, (long)row * d, x);
                ReadRow(dOutput, (long)row * d, gw);
                TensorPrimitives.Multiply(gw, w, gw);
                double dot = 0;
                for (int j = 0; j < d; j++) dot += (double)gw[j] * x[j];
                double r = saved[row];
                float coefficient = (float)(r * r * r * dot / d);
                TensorPrimitives.Multiply(gw, (float)r, dx);
                TensorPrimitives.MultiplyAdd(x, -coefficient, dx, dx);
                StoreGradient(dInput, (long)row * d, dx, previous);
            }
        });
    }

    /// <inheritdoc />
    public void LayerNorm(Tensor output, Tensor mean, Tensor rstd, Tensor input, Tensor weight, Tensor bias, float eps)
    {
        var (n, d) = OpChecks.Norm(nameof(LayerNorm), Device, output, input, weight, bias, eps, ("mean", mean), ("rstd", rstd));
        var w = ReadAll(weight);
        var b = ReadAll(bias);
        ForEachRange(n, 6L * d, (start, end) =>
        {
            var x = new float[d];
            var savedMean = Host(mean).AsSpan<float>();
            var savedRstd = Host(rstd).AsSpan<float>();
            for (int row = start; row < end; row++)
            {
                ReadRow(input, (long)row * d, x);
                double sum = 0;
                foreach (var v in x) sum += v;
                double mu = sum / d, squares = 0;
                foreach (var v in x) squares += (v - mu) * (v - mu);
                float r = (float)(1 / Math.Sqrt(squares / d + eps));
                savedMean[row] = (float)mu;
                savedRstd[row] = r;
                for (int j = 0; j < d; j++) x[j] = (float)((x[j] - mu) * r) * w[j] + b[j];
                WriteRow(output, (long)row * d, x);
            }
        });
    }

    /// <inheritdoc />
    public void LayerNormBackward(Tensor dInput, Tensor dOutput, Tensor input, Tensor weight, Tensor mean, Tensor rstd, bool accumulate = false)
    {
        var (n, d) = OpChecks.NormBackward(nameof(LayerNormBackward), Device, dInput, dOutput, input, weight, ("mean", mean), ("rstd", rstd));
        var w = ReadAll(weight);
        // With x̂ = (x − μ)·r and ĝ = g⊙w: dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ⊙x̂)).
        ForEachRange(n, 8L * d, (start, end) =>
        {
            var xHat = new float[d];
            var gw = new float[d];
            var dx = new float[d];
            var previous = accumulate ? new float[d] : null;
            var savedMean = Host(mean).AsSpan<float>();
            var savedRstd = Host(rstd).AsSpan<float>();
            for (int row = start; row < end; row++)
            {
                float mu = savedMean[row], r = savedRstd[row];
                ReadRow(input, (long)row * d, xHat);
                for (int j = 0; j < d; j++) xHat[j] = (xHat[j] - mu) * r;
                ReadRow(dOutput, (long)row * d, gw);
                TensorPrimitives.Multiply(gw, w, gw);
                double sumG = 0, sumGx = 0;
                for (int j = 0; j < d; j++)
                {
                    sumG += gw[j];
                    sumGx += (double)gw[j] * xHat[j];
                }
                double meanG = sumG / d, meanGx = sumGx / d;
                for (int j = 0; j < d; j++) dx[j] = (float)(r * (gw[j] - meanG - xHat[j] * meanGx));
                StoreGradient(dInput, (long)row * d, dx, previous);
            }
        });
    }

    /// <summary>Writes an activation gradient row: assigned, or added to what is there when <paramref name="previous"/> (scratch) is given.</summary>
    private static void StoreGradient(Tensor gradient, long offset, Span<float> row, Span<float> previous)
    {
        if (previous.Length > 0)
        {
            ReadRow(gradient, offset, previous);
            TensorPrimitives.Add(row, previous, row);
        }
        WriteRow(gradient, offset, row);
    }
}
