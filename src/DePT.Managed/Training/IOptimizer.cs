using DePT.Checkpoints;
using DePT.Tensors;

namespace DePT.Training;

/// <summary>
/// What <see cref="Trainer"/> needs of an optimiser: <see cref="AdamW"/> on one device, or one that keeps several
/// replicas in step (data-parallel training), each taking the same step.
/// </summary>
public interface IOptimizer
{
    /// <summary>Steps taken so far.</summary>
    int StepCount { get; }

    /// <summary>The moments of every parameter, named as the parameters are (one replica's, for a checkpoint).</summary>
    IReadOnlyList<(string Name, Tensor FirstMoment, Tensor SecondMoment)> State { get; }

    /// <summary>Each group's learning rate at step <paramref name="step"/>, in group order.</summary>
    IReadOnlyList<(string Group, float LearningRate)> GroupLearningRates(int step);

    /// <summary>One update from the accumulated gradients, which are then zeroed.</summary>
    void Step();

    /// <summary>Zeroes the accumulated gradients without an update.</summary>
    void ZeroGradients();

    /// <summary>Takes the moments and step count of a checkpoint (every replica).</summary>
    /// <exception cref="ArgumentException">The state's parameters differ in name or shape.</exception>
    void Restore(TrainingState state);
}
