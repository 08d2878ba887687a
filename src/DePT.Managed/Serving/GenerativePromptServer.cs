using DePT.Backends;
using DePT.Checkpoints;
using DePT.Prompts;
using DePT.Tokenizers;

namespace DePT.Serving;

/// <summary>
/// What the servers that answer in text (<see cref="T5PromptServer"/>, <see cref="CausalLmPromptServer"/>) share: the
/// frozen model and its tokenizer, and the named prompts they serve — added from prompt files or in-memory prompts
/// (Δ = scale·A·B computed once per DePT prompt), removed by name, stacked per prompt length m. Generation is each
/// server's own.
/// </summary>
/// <typeparam name="TModel">The frozen model.</typeparam>
/// <remarks>
/// The server copies what it serves (the caller may dispose a prompt after adding it) and does not own the model or the
/// tokenizer. Not thread-safe: one request at a time.
/// </remarks>
public abstract class GenerativePromptServer<TModel> : IDisposable where TModel : class
{
    private protected GenerativePromptServer(TModel model, ITextTokenizer tokenizer, ModelIdentity identity, int maxInputLength,
        Func<TModel, (IBackend Backend, int Dim)> placement)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxInputLength);
        var (backend, dim) = placement(model);
        if (identity.DModel != dim)
            throw new ArgumentException($"The identity {identity} has d_model={identity.DModel}; the model's is {dim}.", nameof(identity));
        Model = model;
        Tokenizer = tokenizer;
        Prompts = new ServedPromptSet(backend, dim, identity, _ => maxInputLength);
    }

    /// <summary>The frozen model.</summary>
    public TModel Model { get; }

    /// <summary>The tokenizer.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>The served prompts' names, in the order they were added.</summary>
    public IReadOnlyList<string> PromptNames => Prompts.Names;

    private protected ServedPromptSet Prompts { get; }

    /// <summary>Reads a prompt file (PT or DePT) and serves it as <paramref name="name"/>.</summary>
    /// <exception cref="PromptModelMismatchException">The prompt was trained on another model.</exception>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    /// <inheritdoc cref="PromptFile.Read" path="/exception"/>
    public void AddPrompt(string name, string path)
    {
        Prompts.CheckNewName(name);
        using var prompt = Prompts.Load(path);
        Prompts.Add(name, prompt);
    }

    /// <summary>Serves a copy of <paramref name="prompt"/>'s current values as <paramref name="name"/> (Δ computed now, once).</summary>
    /// <exception cref="ArgumentException">The name is taken, or the prompt is on another backend or of another width.</exception>
    public void AddPrompt(string name, SoftPrompt prompt) => Prompts.Add(name, prompt);

    /// <summary>Stops serving <paramref name="name"/>; false when no such prompt is served.</summary>
    public bool RemovePrompt(string name) => Prompts.Remove(name);

    /// <summary>Frees the stacked prompts; the model and tokenizer stay the caller's.</summary>
    public void Dispose() => Prompts.Dispose();

    /// <summary>Each example's generated ids decoded to text.</summary>
    private protected string[] Decode(int[][] ids)
    {
        var texts = new string[ids.Length];
        for (int i = 0; i < ids.Length; i++) texts[i] = Tokenizer.Decode(ids[i]);
        return texts;
    }

    /// <summary>Row <paramref name="row"/> of <paramref name="generated"/> from step <paramref name="first"/>, up to and including its first stop id (or to the end when it has none).</summary>
    private protected static int[] UntilStop(int[,] generated, int row, int first, IReadOnlySet<int> stop)
    {
        var ids = new List<int>(generated.GetLength(1) - first);
        for (int t = first; t < generated.GetLength(1); t++)
        {
            ids.Add(generated[row, t]);
            if (stop.Contains(generated[row, t])) break;
        }
        return [.. ids];
    }
}
