namespace DePT.Data.Sources;

/// <summary>A data set that could not be fetched into the cache: the fetch command is missing, failed or
/// timed out, or what it delivered is not the expected package. The message names the command, the cache
/// directory and how to place the package there by hand.</summary>
public sealed class DataFetchException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="command">The command line that was run, or would have been run.</param>
    /// <param name="cacheDirectory">The cache directory the data was to go into.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public DataFetchException(string message, string command, string cacheDirectory, Exception? inner = null)
        : base(message, inner)
    {
        Command = command;
        CacheDirectory = cacheDirectory;
    }

    /// <summary>The command line that was run, or would have been run.</summary>
    public string Command { get; }

    /// <summary>The cache directory the data was to go into.</summary>
    public string CacheDirectory { get; }
}
