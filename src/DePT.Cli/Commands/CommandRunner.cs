using DePT.Devices;

namespace DePT.Cli.Commands;

/// <summary>Runs a command's body and turns any failure into one line on stderr and <see cref="ExitCodes.Failure"/>.</summary>
internal static class CommandRunner
{
    /// <summary>Set <c>DEPT_DEBUG=1</c> to get the whole exception (stack trace included) instead of one line.</summary>
    public const string DebugVariable = "DEPT_DEBUG";

    public static int Run(string verb, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable(DebugVariable) != "1")
        {
            Console.Error.WriteLine($"dept {verb}: {Describe(e)}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>The exception's message on one line; types whose message does not say what went wrong on its own are named.</summary>
    public static string Describe(Exception e)
    {
        string message = e.Message.ReplaceLineEndings(" ").Trim();
        return e switch
        {
            DeviceOutOfMemoryException => $"out of GPU memory: {message}",
            NullReferenceException or IndexOutOfRangeException or InvalidCastException
                => $"internal error ({e.GetType().Name}: {message}); run again with {DebugVariable}=1 for the stack trace and report it.",
            _ => message,
        };
    }
}
