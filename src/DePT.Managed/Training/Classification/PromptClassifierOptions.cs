namespace DePT.Training.Classification;

/// <summary>How a <see cref="PromptClassifier"/> trains.</summary>
/// <param name="Optimizer">AdamW settings: the prompt and low-rank learning rates, betas, schedule and clipping (shared by all groups).</param>
/// <param name="HeadLearningRate">Learning rate of the head group (W, b) before the schedule.</param>
/// <param name="Dropout">Apply the encoder's hidden dropout (config hidden_dropout_prob) while training.</param>
/// <param name="DropoutSeed">Seed of the dropout masks; step k uses a seed derived from (this, k), so a run is reproducible and resumable.</param>
public sealed record PromptClassifierOptions(AdamWSettings Optimizer, float HeadLearningRate = 1e-3f, bool Dropout = true, ulong DropoutSeed = 0);
