namespace DePT.Data;

/// <summary>Where an <see cref="EpochOrder"/> stands: enough to rebuild it so a resumed run sees the same
/// batches. Plain values, for a checkpoint's JSON.</summary>
/// <param name="Count">Number of examples.</param>
/// <param name="Seed">The seed the orders come from.</param>
/// <param name="Epoch">The 0-based epoch in progress.</param>
/// <param name="Cursor">Position within the epoch's permutation of the next example.</param>
public sealed record EpochOrderState(int Count, int Seed, int Epoch, int Cursor);
