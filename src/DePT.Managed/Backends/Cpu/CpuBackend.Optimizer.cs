using DePT.Tensors;

namespace DePT.Backends.Cpu;

// The optimiser ops: the squared norm in double (the reference for the GPU's tree sum) and AdamW's update
// in fp32, one operation at a time in the order of src/DePT.Kernels/optim.cuh, so that both round alike.
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void SquaredNorm(Tensor result, Tensor input, bool accumulate)
    {
        OpChecks.SquaredNorm(nameof(SquaredNorm), Device, result, input);
        var values = Host(input).AsSpan<float>();
        double sum = 0;
        foreach (float x in values) sum += (double)x * x;   // each square is exact in double
        var target = Host(result).AsSpan<float>();
        target[0] = (float)(accumulate ? target[0] + sum : sum);
    }

    /// <inheritdoc />
    public void AdamWUpdate(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, Tensor? squaredGradNorm, AdamWStep step)
    {
        OpChecks.AdamWUpdate(nameof(AdamWUpdate), Device, parameter, gradient, firstMoment, secondMoment, squaredGradNorm, step);
        float clip = squaredGradNorm is not null && step.Clips ? step.ClipCoefficient(Host(squaredGradNorm).AsSpan<float>()[0]) : 1f;
        float decay = step.DecayFactor, beta1Weight = step.Beta1Weight, beta2 = step.Beta2, beta2Weight = step.Beta2Weight;
        float stepSize = step.StepSize, bias2Sqrt = step.Bias2Sqrt, eps = step.Epsilon;
        var p = Host(parameter).AsSpan<float>();
        var g = Host(gradient).AsSpan<float>();
        var m = Host(firstMoment).AsSpan<float>();
        var v = Host(secondMoment).AsSpan<float>();
        for (int i = 0; i < p.Length; i++)
        {
            float gi = g[i] * clip;
            float pi = p[i] * decay;
            m[i] += beta1Weight * (gi - m[i]);
            v[i] = v[i] * beta2 + beta2Weight * gi * gi;
            p[i] = pi - stepSize * (m[i] / (MathF.Sqrt(v[i]) / bias2Sqrt + eps));
        }
    }
}
