namespace DePT.Training;

/// <summary>How a <see cref="Trainer"/> run ended.</summary>
public enum TrainingOutcome
{
    /// <summary>Every step ran; <c>last/</c> holds the final state.</summary>
    Completed,

    /// <summary>Cancellation was requested; <c>last/</c> holds the state after the last finished step, ready to resume.</summary>
    Cancelled,

    /// <summary>A loss was NaN or infinite; that step was not applied and the checkpoints on disk are the last good ones.</summary>
    NonFiniteLoss,
}
