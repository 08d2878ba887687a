using DePT.Backends;
using DePT.Tensors;

namespace DePT.Training;

/// <summary>
/// AdamW over parameter groups, as DePT's reference trains: torch.optim.AdamW with one learning rate per group,
/// HF's linear warmup/decay schedule (<see cref="LearningRateScale"/>) and torch.nn.utils.clip_grad_norm_ over
/// the gradients of all groups together. The moments are F32 tensors on the backend's device, zero at the
/// start. A step queues its work on the backend and never waits for it: the global norm stays on the device.
/// </summary>
/// <remarks>
/// The groups carry their own learning rates; <see cref="AdamWSettings.PromptLearningRate"/> and
/// <see cref="AdamWSettings.LowRankLearningRate"/> are what the caller builds DePT's two groups with.
/// </remarks>
public sealed class AdamW : IOptimizer, IDisposable
{
    private readonly IBackend _backend;
    private readonly AdamWSettings _settings;
    private readonly Entry[] _entries;
    private readonly Tensor _squaredNorm;   // (1) the global squared gradient norm of the current step
    private int _stepCount;
    private bool _disposed;

    /// <summary>Checks the groups and allocates the moments m, v (F32 zeros) of every parameter.</summary>
    /// <exception cref="ArgumentException">A parameter's value and gradient differ in shape or dtype, are not F32, lie on another device, or a name or tensor appears twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting or a group's learning rate is out of range.</exception>
    public AdamW(IBackend backend, IReadOnlyList<ParameterGroup> groups, AdamWSettings settings)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(settings);
        CheckSettings(settings);
        var parameters = CheckGroups(backend, groups);

        _backend = backend;
        _settings = settings;
        _entries = new Entry[parameters.Count];
        try
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                var (group, parameter) = parameters[i];
                _entries[i] = new Entry(group, parameter, Zeros(parameter.Value), Zeros(parameter.Value));
            }
            _squaredNorm = backend.Allocate(DType.F32, 1);
        }
        catch
        {
            FreeMoments();
            throw;
        }
    }

    /// <summary>
    /// Steps taken so far. Set it when resuming from a checkpoint, together with the moments of <see cref="State"/>:
    /// the next step then uses the schedule and bias corrections of step <c>StepCount + 1</c>.
    /// </summary>
    public int StepCount
    {
        get => _stepCount;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _stepCount = value;
        }
    }

    /// <summary>Every parameter with its gradient, in group order (what a data-parallel run reduces and keeps in step).</summary>
    public IReadOnlyList<TrainableTensor> Parameters => [.. _entries.Select(e => e.Parameter)];

    /// <summary>The moments of every parameter, in group order, named as the parameters are: what a checkpoint saves and restores.</summary>
    public IReadOnlyList<(string Name, Tensor FirstMoment, Tensor SecondMoment)> State
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var state = new (string, Tensor, Tensor)[_entries.Length];
            for (int i = 0; i < _entries.Length; i++) state[i] = (_entries[i].Parameter.Name, _entries[i].FirstMoment, _entries[i].SecondMoment);
            return state;
        }
    }

    /// <summary>
    /// The schedule (HF's get_linear_schedule_with_warmup): step / WarmupSteps while step &lt; WarmupSteps, then
    /// (TotalSteps − step) / (TotalSteps − WarmupSteps) down to 0 at TotalSteps, and 0 after. <see cref="Step"/>
    /// number k (from 0) uses LearningRateScale(k), as the reference's optimizer.step() before scheduler.step()
    /// does, so with a warmup the first step moves the moments but not the parameters.
    /// </summary>
    public float LearningRateScale(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        int warmup = _settings.WarmupSteps, total = _settings.TotalSteps;
        if (step < warmup) return (float)((double)step / warmup);
        return (float)Math.Max(0.0, (double)(total - step) / Math.Max(1, total - warmup));
    }

    /// <summary>Each group's learning rate at step <paramref name="step"/> (its peak rate × <see cref="LearningRateScale"/>), in group order.</summary>
    public IReadOnlyList<(string Group, float LearningRate)> GroupLearningRates(int step)
    {
        float scale = LearningRateScale(step);
        var rates = new List<(string, float)>();
        foreach (var entry in _entries)
            if (!rates.Exists(r => r.Item1 == entry.Group.Name)) rates.Add((entry.Group.Name, entry.Group.LearningRate * scale));
        return rates;
    }

    /// <summary>
    /// One optimiser step: the global squared norm of every gradient of every group (when MaxGradNorm &gt; 0), then
    /// the AdamW update of each parameter with its group's learning rate × <see cref="LearningRateScale"/>, its
    /// gradients scaled by the one clip coefficient, then the gradients zeroed. Queued on the backend; no wait.
    /// </summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        bool clips = _settings.MaxGradNorm > 0f;
        if (clips)
            for (int i = 0; i < _entries.Length; i++)
                _backend.SquaredNorm(_squaredNorm, _entries[i].Parameter.Gradient, accumulate: i > 0);

        float scale = LearningRateScale(_stepCount);
        int t = checked(_stepCount + 1);
        foreach (var entry in _entries)
        {
            var step = new AdamWStep(entry.Group.LearningRate * scale, _settings.Beta1, _settings.Beta2, _settings.Epsilon, _settings.WeightDecay, t, _settings.MaxGradNorm);
            _backend.AdamWUpdate(entry.Parameter.Value, entry.Parameter.Gradient, entry.FirstMoment, entry.SecondMoment, clips ? _squaredNorm : null, step);
        }
        ZeroGradients();
        _stepCount = t;
    }

    /// <summary>Sets every gradient of every group to zero (queued on the backend).</summary>
    public void ZeroGradients()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var entry in _entries) _backend.Fill(entry.Parameter.Gradient, 0f);
    }

    /// <inheritdoc />
    public void Restore(Checkpoints.TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Restore(this);
    }

    /// <summary>Frees the moments and the norm (the parameters and gradients belong to the caller).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        FreeMoments();
        _squaredNorm.Dispose();
    }

    private Tensor Zeros(Tensor like)
    {
        var tensor = _backend.Allocate(DType.F32, like.Shape.ToArray());
        _backend.Fill(tensor, 0f);
        return tensor;
    }

    private void FreeMoments()
    {
        foreach (var entry in _entries)
        {
            entry?.FirstMoment.Dispose();
            entry?.SecondMoment.Dispose();
        }
    }

    private static void CheckSettings(AdamWSettings s)
    {
        const string what = nameof(AdamWSettings);
        CheckRate(s.PromptLearningRate, $"{what}.{nameof(s.PromptLearningRate)}");
        CheckRate(s.LowRankLearningRate, $"{what}.{nameof(s.LowRankLearningRate)}");
        if (!(s.Beta1 >= 0f && s.Beta1 < 1f)) throw new ArgumentOutOfRangeException(nameof(s.Beta1), s.Beta1, $"{what}.{nameof(s.Beta1)} must lie in [0, 1).");
        if (!(s.Beta2 >= 0f && s.Beta2 < 1f)) throw new ArgumentOutOfRangeException(nameof(s.Beta2), s.Beta2, $"{what}.{nameof(s.Beta2)} must lie in [0, 1).");
        if (!(float.IsFinite(s.Epsilon) && s.Epsilon >= 0f)) throw new ArgumentOutOfRangeException(nameof(s.Epsilon), s.Epsilon, $"{what}.{nameof(s.Epsilon)} must be finite and ≥ 0.");
        if (!(float.IsFinite(s.WeightDecay) && s.WeightDecay >= 0f))
            throw new ArgumentOutOfRangeException(nameof(s.WeightDecay), s.WeightDecay, $"{what}.{nameof(s.WeightDecay)} must be finite and ≥ 0.");
        if (s.WarmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(s.WarmupSteps), s.WarmupSteps, $"{what}.{nameof(s.WarmupSteps)} must be ≥ 0.");
        if (s.TotalSteps < s.WarmupSteps || s.TotalSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(s.TotalSteps), s.TotalSteps, $"{what}.{nameof(s.TotalSteps)} must be ≥ 1 and ≥ WarmupSteps ({s.WarmupSteps}).");
        if (float.IsNaN(s.MaxGradNorm)) throw new ArgumentOutOfRangeException(nameof(s.MaxGradNorm), s.MaxGradNorm, $"{what}.{nameof(s.MaxGradNorm)} is NaN (≤ 0 disables clipping).");
    }

    private static void CheckRate(float rate, string name)
    {
        if (!(float.IsFinite(rate) && rate >= 0f)) throw new ArgumentOutOfRangeException(name, rate, $"{name} is {rate}; a learning rate must be finite and ≥ 0.");
    }

    /// <summary>Every parameter with its group, in order, after checking each one and that no name or tensor appears twice.</summary>
    private static List<(ParameterGroup Group, TrainableTensor Parameter)> CheckGroups(IBackend backend, IReadOnlyList<ParameterGroup> groups)
    {
        var result = new List<(ParameterGroup, TrainableTensor)>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);   // parameter name → its group's name
        var tensors = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);   // value or gradient → the parameter holding it
        foreach (var group in groups)
        {
            ArgumentNullException.ThrowIfNull(group, nameof(groups));
            ArgumentNullException.ThrowIfNull(group.Parameters, $"{nameof(groups)}[{group.Name}].{nameof(group.Parameters)}");
            CheckRate(group.LearningRate, $"the learning rate of group '{group.Name}'");
            foreach (var parameter in group.Parameters)
            {
                ArgumentNullException.ThrowIfNull(parameter, $"{nameof(groups)}[{group.Name}].{nameof(group.Parameters)}");
                string where = $"AdamW: parameter '{parameter.Name}' of group '{group.Name}'";
                Check(backend, where, "value", parameter.Value);
                Check(backend, where, "gradient", parameter.Gradient);
                if (!parameter.Gradient.Shape.SequenceEqual(parameter.Value.Shape))
                    throw new ArgumentException($"{where}: its gradient {parameter.Gradient.ShapeText} does not have the shape of its value {parameter.Value.ShapeText}.");
                if (!names.TryAdd(parameter.Name, group.Name))
                    throw new ArgumentException($"{where}: the name is already taken by a parameter of group '{names[parameter.Name]}'; checkpoints need unique names.");
                foreach (var (role, tensor) in new[] { ("value", parameter.Value), ("gradient", parameter.Gradient) })
                    if (!tensors.TryAdd(tensor, $"{role} of parameter '{parameter.Name}'"))
                        throw new ArgumentException($"{where}: its {role} {tensor.ShapeText} is already the {tensors[tensor]}; it would be updated twice.");
                result.Add((group, parameter));
            }
        }
        if (result.Count == 0) throw new ArgumentException("AdamW: the groups hold no parameter to train.", nameof(groups));
        return result;
    }

    private static void Check(IBackend backend, string where, string role, Tensor tensor)
    {
        if (tensor is null) throw new ArgumentNullException(role, $"{where} has no {role}.");
        if (tensor.IsDisposed) throw new ObjectDisposedException(role, $"{where}: its {role} was disposed.");
        if (tensor.DType != DType.F32) throw new ArgumentException($"{where}: its {role} {tensor.ShapeText} must be f32 (parameters, gradients and optimiser state are fp32).");
        if (tensor.Device != backend.Device) throw new ArgumentException($"{where}: its {role} is on {tensor.Device}, the backend runs on {backend.Device}.");
    }

    /// <summary>One parameter, its group and its moments.</summary>
    private sealed record Entry(ParameterGroup Group, TrainableTensor Parameter, Tensor FirstMoment, Tensor SecondMoment);
}
