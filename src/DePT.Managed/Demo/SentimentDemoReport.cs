namespace DePT.Demo;

/// <summary>What <see cref="SentimentDemo.Run"/> measured.</summary>
/// <param name="Options">The settings it ran with.</param>
/// <param name="DeviceDescription">The backend, e.g. "cpu (f32)" or "cuda:0 (…) f32".</param>
/// <param name="TrainCount">Training sentences used.</param>
/// <param name="TestCount">Held-out test sentences used.</param>
/// <param name="PromptLength">DePT's m.</param>
/// <param name="Rank">DePT's r.</param>
/// <param name="Results">Head only, PT, DePT, in that order.</param>
/// <param name="ProcessPeakWorkingSetBytes">The whole process's peak resident memory at the end (all three runs, the encoder and the runtime).</param>
/// <param name="TotalTime">Wall time of the whole demo, loading included.</param>
public sealed record SentimentDemoReport(SentimentDemoOptions Options, string DeviceDescription, int TrainCount, int TestCount, int PromptLength, int Rank,
    IReadOnlyList<DemoRunResult> Results, long ProcessPeakWorkingSetBytes, TimeSpan TotalTime);
