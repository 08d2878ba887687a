namespace DePT.Data.Sources;

/// <summary>Where fetched data sets are kept between runs.</summary>
public static class DataCache
{
    /// <summary>The environment variable that overrides the default cache directory.</summary>
    public const string EnvironmentVariable = "DEPT_DATA_CACHE";

    /// <summary>The cache directory: <paramref name="cacheDirectory"/> when given, else
    /// <c>$DEPT_DATA_CACHE</c> when set, else <c>~/.cache/dept/data</c>. Returned as a full path.</summary>
    /// <param name="cacheDirectory">An explicit directory, or null for the default.</param>
    public static string ResolveDirectory(string? cacheDirectory = null)
    {
        if (!string.IsNullOrWhiteSpace(cacheDirectory)) return Path.GetFullPath(cacheDirectory);
        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".cache", "dept", "data");
    }
}
