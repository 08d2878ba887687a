namespace DePT.Diagnostics;

/// <summary>A timed memory-bound kernel beside the device's copy bandwidth, both measured in one run.</summary>
public sealed record BandwidthReport(double Milliseconds, double GigabytesPerSecond, double CopyGigabytesPerSecond)
{
    /// <summary>Achieved bandwidth as a fraction of the copy bandwidth.</summary>
    public double FractionOfCopy => GigabytesPerSecond / CopyGigabytesPerSecond;
}
