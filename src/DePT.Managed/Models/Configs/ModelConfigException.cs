namespace DePT.Models;

/// <summary>
/// A Hugging Face <c>config.json</c> that cannot describe a model we run: malformed JSON, a missing or
/// out-of-range field, an unknown model type. The message names the file and the field.
/// It derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed.
/// </summary>
public sealed class ModelConfigException : IOException
{
    /// <summary>Creates the exception; the message is prefixed with the file and field.</summary>
    /// <param name="filePath">The config file (or the name given to in-memory JSON).</param>
    /// <param name="fieldName">The JSON field at fault, or null for a file-level problem.</param>
    /// <param name="problem">What is wrong, in words.</param>
    /// <param name="innerException">The parser error behind it, if any.</param>
    public ModelConfigException(string filePath, string? fieldName, string problem, Exception? innerException = null)
        : base(fieldName is null
            ? $"Invalid model config '{filePath}': {problem}"
            : $"Invalid model config '{filePath}', field '{fieldName}': {problem}", innerException)
    {
        FilePath = filePath;
        FieldName = fieldName;
    }

    /// <summary>The config file at fault.</summary>
    public string FilePath { get; }

    /// <summary>The field at fault; null when the problem is the whole file.</summary>
    public string? FieldName { get; }
}
