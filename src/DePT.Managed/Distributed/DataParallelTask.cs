using System.Runtime.ExceptionServices;
using DePT.Backends;
using DePT.Data;
using DePT.Metrics;
using DePT.Tensors;
using DePT.Training;

namespace DePT.Distributed;

/// <summary>
/// Data-parallel training over replicas of one task, one per device: each step's global batch is split into contiguous
/// shards (<see cref="BatchShards"/>), every rank runs forward and backward on its shard at the same time, the gradients are
/// weighted and summed across ranks by an <see cref="ICollective"/> (NCCL on GPUs), and <see cref="DataParallelOptimizer"/>
/// takes the same AdamW step on every rank. Rank 0 evaluates and writes checkpoints.
/// </summary>
/// <remarks>
/// <para>Exactness: rank r's task returns the mean loss over its n_r loss terms (rows, or target tokens for T5:
/// <see cref="ITrainingTask.LossTermCount"/>) and its gradient; scaling that gradient by n_r / n before the sum makes the
/// summed gradient the mean over the global batch's n terms, the gradient one device computes on the whole batch, and the
/// returned loss is Σ (n_r / n)·loss_r. Gradients already accumulated before the call are identical on every rank and the
/// weights sum to 1, so they pass through unchanged. Shards keep the whole batch's padding, so each row computes as it would
/// in the whole batch. With dropout off the loss curve equals the single-device one to floating-point tolerance. With
/// dropout on it agrees only statistically: masks are drawn per (seed, step, site) over a tensor's element index, and a
/// row's index within its shard differs from its index in the whole batch.</para>
/// <para>Overlap: the trainable gradients (prompt, A, B, a head) are a few hundred KB and the prompt's are complete only when
/// the backward reaches the input embeddings, its last op, so there is no backward left to hide their all-reduce behind;
/// it is one grouped collective after the backward.</para>
/// <para>Threads: each rank's forward and backward runs on a worker of its own, and a rank never waits for another inside
/// that work; the collective is issued afterwards from the calling thread.</para>
/// <para>The rank tasks, their models and the collective stay the caller's to dispose.</para>
/// </remarks>
public sealed class DataParallelTask : ITrainingTask
{
    private readonly ITrainingTask[] _ranks;
    private readonly IReadOnlyList<Tensor>[] _gradients;
    private readonly ICollective _collective;

    /// <summary>
    /// Wraps <paramref name="ranks"/> (rank r's task on rank r's device, each training with an <see cref="AdamW"/> over the
    /// same parameters) and copies rank 0's parameter values to every rank, so the replicas start identical.
    /// </summary>
    /// <exception cref="ArgumentException">There is no rank, the collective has another rank count, a rank's optimiser is not an AdamW, or the ranks' parameters or metrics differ.</exception>
    public DataParallelTask(IReadOnlyList<ITrainingTask> ranks, ICollective collective)
    {
        ArgumentNullException.ThrowIfNull(ranks);
        ArgumentNullException.ThrowIfNull(collective);
        if (ranks.Count == 0) throw new ArgumentException("data-parallel training needs at least one rank.", nameof(ranks));
        if (collective.RankCount != ranks.Count)
            throw new ArgumentException($"{ranks.Count} rank tasks for a collective of {collective.RankCount} ranks.", nameof(collective));
        _ranks = [.. ranks];
        var optimizers = new AdamW[_ranks.Length];
        var parameters = new IReadOnlyList<TrainableTensor>[_ranks.Length];
        for (int r = 0; r < _ranks.Length; r++)
        {
            var task = _ranks[r] ?? throw new ArgumentNullException(nameof(ranks), $"rank {r} has no task.");
            optimizers[r] = task.Optimizer as AdamW
                ?? throw new ArgumentException($"rank {r} trains with {task.Optimizer?.GetType().Name ?? "no optimiser"}; data-parallel ranks each need an AdamW.", nameof(ranks));
            parameters[r] = optimizers[r].Parameters;
            string names = string.Join(", ", parameters[r].Select(p => p.Name)), first = string.Join(", ", parameters[0].Select(p => p.Name));
            if (names != first) throw new ArgumentException($"rank {r} trains [{names}], rank 0 trains [{first}].", nameof(ranks));
            if (!task.Metrics.SequenceEqual(_ranks[0].Metrics)) throw new ArgumentException($"rank {r} reports other metrics than rank 0.", nameof(ranks));
        }
        _collective = collective;
        _gradients = [.. parameters.Select(list => (IReadOnlyList<Tensor>)[.. list.Select(p => p.Gradient)])];
        collective.Broadcast([.. parameters.Select(list => (IReadOnlyList<Tensor>)[.. list.Select(p => p.Value)])], root: 0);
        Optimizer = new DataParallelOptimizer(optimizers);
    }

    /// <summary>The rank tasks, in rank order.</summary>
    public IReadOnlyList<ITrainingTask> Ranks => _ranks;

    /// <summary>Rank 0's backend (where evaluation runs and checkpoints are read from).</summary>
    public IBackend Backend => _ranks[0].Backend;

    /// <summary>The <see cref="DataParallelOptimizer"/> over every rank's AdamW.</summary>
    public IOptimizer Optimizer { get; }

    /// <inheritdoc />
    public IReadOnlyList<MetricKind> Metrics => _ranks[0].Metrics;

    /// <summary>The global batch, encoded by rank 0's task.</summary>
    public EncodedBatch Encode(IReadOnlyList<Example> examples, ReadOnlySpan<int> indices) => _ranks[0].Encode(examples, indices);

    /// <summary>
    /// Splits <paramref name="batch"/> across the ranks, runs each shard's forward and backward on its rank at once, and
    /// all-reduces the weighted gradients: every rank then holds the gradient of the mean loss over the whole batch. Returns that mean loss.
    /// </summary>
    public float AccumulateGradients(EncodedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var bounds = BatchShards.Bounds(batch.Inputs.BatchSize, _ranks.Length);
        var shards = new EncodedBatch?[_ranks.Length];
        var terms = new long[_ranks.Length];
        for (int r = 0; r < _ranks.Length; r++)
        {
            if (bounds[r].Count == 0) continue;
            shards[r] = BatchShards.Slice(batch, bounds[r].Start, bounds[r].Count);
            terms[r] = _ranks[r].LossTermCount(shards[r]!);
        }
        long total = terms.Sum();
        if (total <= 0) throw new ArgumentException("the batch has no loss terms (no rows, or no target tokens).", nameof(batch));

        var losses = new float[_ranks.Length];
        try
        {
            Parallel.For(0, _ranks.Length, new ParallelOptions { MaxDegreeOfParallelism = _ranks.Length }, r =>
            {
                if (shards[r] is { } shard) losses[r] = _ranks[r].AccumulateGradients(shard);
                float weight = (float)((double)terms[r] / total);
                if (weight != 1f)
                    foreach (var gradient in _gradients[r]) _ranks[r].Backend.Scale(gradient, gradient, weight);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);   // callers see the rank's own exception, as from a single task
        }
        _collective.AllReduceSum(_gradients);

        double loss = 0;
        for (int r = 0; r < _ranks.Length; r++)
            if (terms[r] > 0) loss += (double)terms[r] / total * losses[r];
        return (float)loss;
    }

    /// <summary>Rank 0's count for the whole batch.</summary>
    public int LossTermCount(EncodedBatch batch) => _ranks[0].LossTermCount(batch);

    /// <summary>Evaluates rank 0's replica (every replica holds the same parameters).</summary>
    public IReadOnlyDictionary<MetricKind, double> Evaluate(IReadOnlyList<Example> examples, int batchSize) => _ranks[0].Evaluate(examples, batchSize);

    /// <summary>Writes rank 0's parameters.</summary>
    public void SaveParameters(string folder) => _ranks[0].SaveParameters(folder);

    /// <summary>Reads the parameters into every rank.</summary>
    public void LoadParameters(string folder)
    {
        foreach (var rank in _ranks) rank.LoadParameters(folder);
    }
}
