namespace DePT.Checkpoints;

/// <summary>AdamW's moments of one parameter, row-major, with the parameter's name and shape.</summary>
public sealed record OptimizerMoments(string Name, int[] Shape, float[] FirstMoment, float[] SecondMoment);
