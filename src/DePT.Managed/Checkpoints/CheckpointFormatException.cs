namespace DePT.Checkpoints;

/// <summary>A prompt file or training state that cannot be read: malformed, inconsistent, or of a newer format version. The message names the file and field.</summary>
public sealed class CheckpointFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointFormatException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
