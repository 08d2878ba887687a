using DePT.Backends;
using DePT.Tensors;

namespace DePT.Training;

/// <summary>AdamW over parameter groups with a warmup/decay schedule and global gradient-norm clipping.</summary>
public sealed class AdamW : IDisposable
{
    /// <summary>Allocates the moments (F32 zeros) of every parameter.</summary>
    public AdamW(IBackend backend, IReadOnlyList<ParameterGroup> groups, AdamWSettings settings) => throw new NotImplementedException();

    /// <summary>Steps taken so far.</summary>
    public int StepCount => throw new NotImplementedException();

    /// <summary>The optimiser state of every parameter, for checkpoints.</summary>
    public IReadOnlyList<(string Name, Tensor FirstMoment, Tensor SecondMoment)> State => throw new NotImplementedException();

    /// <summary>The schedule's factor at a step.</summary>
    public float LearningRateScale(int step) => throw new NotImplementedException();

    /// <summary>Clips, updates every parameter, then zeroes the gradients.</summary>
    public void Step() => throw new NotImplementedException();

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGradients() => throw new NotImplementedException();

    /// <summary>Frees the moments.</summary>
    public void Dispose() => throw new NotImplementedException();
}
