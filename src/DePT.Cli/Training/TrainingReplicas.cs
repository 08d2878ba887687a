using DePT.Backends;
using DePT.Backends.Cuda;
using DePT.Cli.Commands;
using DePT.Devices;
using DePT.Distributed;
using DePT.Models;
using DePT.Training;

namespace DePT.Cli.Training;

/// <summary>
/// What <c>dept train</c> trains on: with <c>--gpus 1</c> one backend, model and task; with <c>--gpus N</c> one per CUDA
/// device 0..N−1, joined by NCCL into a <see cref="DataParallelTask"/>. Owns everything it opens and builds.
/// </summary>
internal sealed class TrainingReplicas : IDisposable
{
    private readonly List<(IBackend Backend, PretrainedModel Model)> _ranks = [];
    private readonly List<TaskSetup> _setups = [];
    private NcclCollective? _collective;
    private ITrainingTask? _task;

    private TrainingReplicas()
    {
    }

    /// <summary>Rank 0's model (its tokenizer reads the data, its task evaluates).</summary>
    public PretrainedModel Model => _ranks[0].Model;

    /// <summary>The task the trainer drives: rank 0's own, or the data-parallel one over every rank.</summary>
    public ITrainingTask Task => _task ?? throw new InvalidOperationException("the training tasks are not built yet.");

    /// <summary>Checks <paramref name="gpus"/> against the device option and the machine, then opens a backend and loads the model on each device.</summary>
    /// <exception cref="ArgumentException">--gpus is below 1, asks for more devices than exist, or goes with --device cpu.</exception>
    /// <exception cref="CudaUnavailableException">Several GPUs were asked for and CUDA is not usable.</exception>
    public static TrainingReplicas Open(RunSettings settings, string? device)
    {
        int gpus = settings.Gpus;
        if (gpus < 1) throw new ArgumentException($"--gpus must be at least 1; got {gpus}.");
        if (gpus > 1)
        {
            if (device is not null && BackendFactory.ParseKind(device) != DeviceKind.Cuda)
                throw new ArgumentException($"--gpus {gpus} trains on CUDA devices; leave out --device {device}.");
            var probe = CudaProbe.Run();
            if (!probe.IsAvailable) throw new CudaUnavailableException(probe.Reason);
            if (gpus > probe.DeviceCount) throw new ArgumentException($"--gpus {gpus}: this machine has {probe.DeviceCount} CUDA device(s).");
        }
        var replicas = new TrainingReplicas();
        try
        {
            for (int rank = 0; rank < gpus; rank++) replicas._ranks.Add(SharedOptions.Open(settings.Model, device, settings.DType, rank));
            return replicas;
        }
        catch
        {
            replicas.Dispose();
            throw;
        }
    }

    /// <summary>Builds every rank's task with <paramref name="create"/> (the same settings and seeds on each), and joins them when there are several.</summary>
    public void CreateTasks(Func<PretrainedModel, TaskSetup> create)
    {
        foreach (var (_, model) in _ranks) _setups.Add(create(model));
        if (_setups.Count == 1)
        {
            _task = _setups[0].Task;
            return;
        }
        _collective = new NcclCollective([.. _ranks.Select(r => (CudaBackend)r.Backend)]);
        _task = new DataParallelTask([.. _setups.Select(s => s.Task)], _collective);
    }

    /// <summary>"cpu", the CUDA device, or the N devices and the NCCL version.</summary>
    public string Describe() => _ranks.Count == 1
        ? SharedOptions.Describe(_ranks[0].Backend)
        : $"{_ranks.Count} GPUs ({string.Join(", ", _ranks.Select(r => SharedOptions.Describe(r.Backend)))}), data-parallel through NCCL {NcclCommunicator.LibraryVersion()}";

    public void Dispose()
    {
        _collective?.Dispose();
        for (int i = _setups.Count - 1; i >= 0; i--) _setups[i].Dispose();
        for (int i = _ranks.Count - 1; i >= 0; i--)
        {
            _ranks[i].Model.Dispose();
            _ranks[i].Backend.Dispose();
        }
    }
}
