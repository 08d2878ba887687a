namespace DePT.Tests.Training;

/// <summary>
/// AdamW of one parameter from its textbook formulas, in double: decoupled weight decay p −= lr·wd·p, then
/// m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ), p −= lr·m̂/(sqrt(v̂) + eps).
/// The fp32 optimiser is held to it.
/// </summary>
internal sealed class AdamWReference(float[] start)
{
    public double[] Value { get; } = Array.ConvertAll(start, x => (double)x);
    public double[] FirstMoment { get; } = new double[start.Length];
    public double[] SecondMoment { get; } = new double[start.Length];

    /// <summary>Step t (from 1) with the gradient scaled by <paramref name="clip"/>.</summary>
    public void Step(float[] gradient, double clip, double lr, double beta1, double beta2, double eps, double weightDecay, int t)
    {
        for (int i = 0; i < Value.Length; i++)
        {
            double g = gradient[i] * clip;
            Value[i] -= lr * weightDecay * Value[i];
            FirstMoment[i] = beta1 * FirstMoment[i] + (1 - beta1) * g;
            SecondMoment[i] = beta2 * SecondMoment[i] + (1 - beta2) * g * g;
            double mHat = FirstMoment[i] / (1 - Math.Pow(beta1, t));
            double vHat = SecondMoment[i] / (1 - Math.Pow(beta2, t));
            Value[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
        }
    }

    /// <summary>clip_grad_norm_'s coefficient over all the gradients together: min(1, max / (‖g‖ + 1e-6)).</summary>
    public static double ClipCoefficient(double maxNorm, params float[][] gradients) => Math.Min(1, maxNorm / (Math.Sqrt(SquaredNorm(gradients)) + 1e-6));

    public static double SquaredNorm(params float[][] gradients)
    {
        double sum = 0;
        foreach (var gradient in gradients)
            foreach (float g in gradient) sum += (double)g * g;
        return sum;
    }
}
