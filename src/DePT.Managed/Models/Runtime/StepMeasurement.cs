namespace DePT.Models.Runtime;

/// <summary>
/// One measured step: its time (CUDA events on a GPU backend, a stopwatch around a synchronised run on the CPU) and,
/// on a GPU, the memory pool's high-water mark during the step and the bytes in use when it began.
/// </summary>
/// <param name="Milliseconds">The step's time.</param>
/// <param name="PeakPoolBytes">The pool's peak during the step (weights and anything alive before it included); null on the CPU.</param>
/// <param name="StartPoolBytes">Bytes in use when the step began (weights and inputs); null on the CPU.</param>
public readonly record struct StepMeasurement(double Milliseconds, long? PeakPoolBytes, long? StartPoolBytes)
{
    /// <inheritdoc />
    public override string ToString() => PeakPoolBytes is long peak
        ? $"{Milliseconds:F2} ms, peak pool {peak / (1024.0 * 1024 * 1024):F3} GiB ({peak} B; {StartPoolBytes!.Value / (1024.0 * 1024 * 1024):F3} GiB in use before the step)"
        : $"{Milliseconds:F2} ms";
}
