namespace DePT.Cli.Commands;

/// <summary>The exit codes of <c>dept</c>, as <c>--help</c> lists them.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>Bad input, a missing file, no device, out of memory...: one line on stderr says what.</summary>
    public const int Failure = 1;

    /// <summary>Training was interrupted (Ctrl+C); its state was saved and <c>--resume</c> continues it.</summary>
    public const int Interrupted = 2;

    /// <summary>Training stopped on a NaN or infinite loss; the checkpoints on disk are the last good ones.</summary>
    public const int NonFiniteLoss = 3;

    /// <summary>The line appended to the root command's description.</summary>
    public const string Help = "Exit codes: 0 success, 1 error (one line on stderr), 2 training interrupted and saved, 3 training stopped on a non-finite loss.";
}
