namespace DePT.Demo;

/// <summary>One row of the demo's table.</summary>
/// <param name="Method">Which model.</param>
/// <param name="Description">The shape, e.g. "PT L=20" or "DePT m=…, r=…".</param>
/// <param name="PromptParameters">Trainable prompt parameters (0 for the head alone).</param>
/// <param name="HeadParameters">Trainable head parameters (C·d + C).</param>
/// <param name="TestAccuracy">Accuracy on the held-out test sentences, in [0, 1].</param>
/// <param name="FinalLoss">Mean training cross-entropy of the last (up to) 20 steps.</param>
/// <param name="TrainingTime">Wall time of the training steps (tokenization included, evaluation excluded).</param>
/// <param name="PeakDeviceBytes">On CUDA, the memory pool's peak over the run (the frozen encoder included); null on the CPU, which keeps no such count.</param>
public sealed record DemoRunResult(DemoMethod Method, string Description, long PromptParameters, long HeadParameters, double TestAccuracy,
    double FinalLoss, TimeSpan TrainingTime, long? PeakDeviceBytes)
{
    /// <summary>Prompt and head parameters together.</summary>
    public long TrainableParameters => PromptParameters + HeadParameters;
}
