using DePT.Checkpoints;
using DePT.Tensors;
using DePT.Training;

namespace DePT.Distributed;

/// <summary>
/// The optimiser of a <see cref="DataParallelTask"/>: one <see cref="AdamW"/> per rank, each stepping its own replica with
/// the same all-reduced gradients, settings and schedule, so the replicas stay identical without exchanging parameters
/// (the global-norm clip is computed on each rank from identical gradients). The step count, learning rates and the state a
/// checkpoint saves are rank 0's; a restored state goes to every rank.
/// </summary>
public sealed class DataParallelOptimizer : IOptimizer
{
    private readonly AdamW[] _replicas;

    internal DataParallelOptimizer(IReadOnlyList<AdamW> replicas) => _replicas = [.. replicas];

    /// <summary>Each rank's AdamW, in rank order.</summary>
    public IReadOnlyList<AdamW> Replicas => _replicas;

    /// <inheritdoc />
    public int StepCount => _replicas[0].StepCount;

    /// <inheritdoc />
    public IReadOnlyList<(string Name, Tensor FirstMoment, Tensor SecondMoment)> State => _replicas[0].State;

    /// <inheritdoc />
    public IReadOnlyList<(string Group, float LearningRate)> GroupLearningRates(int step) => _replicas[0].GroupLearningRates(step);

    /// <summary>One AdamW step on every rank (queued on each rank's backend, so the devices step at once), then the gradients are zeroed.</summary>
    public void Step()
    {
        foreach (var replica in _replicas) replica.Step();
    }

    /// <inheritdoc />
    public void ZeroGradients()
    {
        foreach (var replica in _replicas) replica.ZeroGradients();
    }

    /// <inheritdoc />
    public void Restore(TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var replica in _replicas) replica.Restore(state);
    }
}
