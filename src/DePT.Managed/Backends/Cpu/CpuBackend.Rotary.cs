using Tensor = DePT.Tensors.Tensor;

namespace DePT.Backends.Cpu;

// Rotary position embeddings, row by row: cos and sin of the fp32 angle computed in double.
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void RotaryEmbedding(Tensor output, Tensor input, Tensor positions, Tensor inverseFrequencies, int heads) =>
        Rotate(nameof(RotaryEmbedding), output, nameof(output), input, nameof(input), positions, inverseFrequencies, heads, 1);

    /// <inheritdoc />
    public void RotaryEmbeddingBackward(Tensor dInput, Tensor dOutput, Tensor positions, Tensor inverseFrequencies, int heads) =>
        Rotate(nameof(RotaryEmbeddingBackward), dInput, nameof(dInput), dOutput, nameof(dOutput), positions, inverseFrequencies, heads, -1);

    /// <summary>The rotation by θ (sign +1) or its transpose, the rotation by −θ (sign −1).</summary>
    private void Rotate(string op, Tensor output, string outputName, Tensor input, string inputName, Tensor positions, Tensor inverseFrequencies, int heads, int sign)
    {
        var (batch, length, dh) = OpChecks.Rotary(op, Device, output, outputName, input, inputName, positions, inverseFrequencies, heads);
        var frequencies = Host(inverseFrequencies).AsSpan<float>().ToArray();
        int width = heads * dh, half = dh / 2;
        ForEachRange(batch * length, 16L * width, (start, end) =>
        {
            var x = new float[width];
            var cos = new float[half];
            var sin = new float[half];
            var rowPositions = Host(positions).AsSpan<int>();
            for (int row = start; row < end; row++)
            {
                ReadRow(input, (long)row * width, x);
                for (int j = 0; j < half; j++)
                {
                    // transformers forms the angle as one fp32 product, then takes cos and sin of it
                    float angle = rowPositions[row] * frequencies[j];
                    cos[j] = (float)Math.Cos(angle);
                    sin[j] = sign * (float)Math.Sin(angle);
                }
                for (int h = 0; h < heads; h++)
                {
                    var head = x.AsSpan(h * dh, dh);
                    for (int j = 0; j < half; j++)
                    {
                        float x1 = head[j], x2 = head[j + half];
                        head[j] = x1 * cos[j] - x2 * sin[j];
                        head[j + half] = x2 * cos[j] + x1 * sin[j];
                    }
                }
                WriteRow(output, (long)row * width, x);
            }
        });
    }
}
