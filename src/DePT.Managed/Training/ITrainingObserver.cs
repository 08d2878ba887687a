using DePT.Metrics;

namespace DePT.Training;

/// <summary>Receives a <see cref="Trainer"/>'s progress on the training thread (a console progress bar, a test).</summary>
public interface ITrainingObserver
{
    /// <summary>After each optimiser step.</summary>
    void OnStep(TrainingStepReport report);

    /// <summary>After each evaluation, with whether it became the best checkpoint.</summary>
    void OnEvaluation(int step, IReadOnlyDictionary<MetricKind, double> metrics, bool isBest);

    /// <summary>A one-line notice: resuming, a checkpoint written, why the run stopped.</summary>
    void OnMessage(string message);
}
