namespace DePT.Kernels;

/// <summary>A 1-D block and up-to-3-D grid for one kernel launch.</summary>
internal readonly record struct LaunchShape(uint GridX, uint GridY, uint GridZ, uint BlockX, uint SharedBytes = 0)
{
    /// <summary>True when the grid has no blocks (nothing to launch).</summary>
    public bool IsEmpty => GridX == 0 || GridY == 0 || GridZ == 0;

    /// <summary>Ceiling division for grid sizes.</summary>
    public static uint Blocks(long work, long perBlock) => checked((uint)((work + perBlock - 1) / perBlock));
}
