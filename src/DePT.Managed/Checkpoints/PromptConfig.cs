namespace DePT.Checkpoints;

/// <summary>
/// The JSON beside a prompt's safetensors file. Vanilla prompt tuning has rank 0, max length 0, no alpha and scale 0.
/// </summary>
/// <param name="FormatVersion">The file format's version; readers refuse a newer one.</param>
/// <param name="Method">PT or DePT.</param>
/// <param name="PromptLength">m.</param>
/// <param name="Rank">r (0 for PT).</param>
/// <param name="MaxLength">s, rows of A (0 for PT).</param>
/// <param name="Alpha">alpha; null for no scale or PT.</param>
/// <param name="Scale">The factor on A·B the prompt was trained with.</param>
/// <param name="DModel">d.</param>
/// <param name="WeightsSha256">SHA-256 of the whole weights file: it ties this config to exactly that file.</param>
/// <param name="BaseModel">The frozen model the prompt belongs to.</param>
public sealed record PromptConfig(int FormatVersion, PromptMethod Method, int PromptLength, int Rank, int MaxLength, float? Alpha, float Scale,
    int DModel, string WeightsSha256, ModelIdentity BaseModel);
