using DePT.Backends;
using DePT.Tensors;
using DePT.Training;

namespace DePT.Prompts;

/// <summary>
/// A trainable soft prompt P (1, m, d) F32 and its gradient on a backend, with the paper's initialisations TEXT,
/// SAMPLE_VOCAB and RANDOM (PEFT's PromptTuningInit). <see cref="PromptTuning"/> is P alone; <see cref="DecomposedPrompt"/>
/// adds the low-rank pair. P starts at zero until an Initialize method runs; gradients start at zero.
/// </summary>
public abstract class SoftPrompt : IDisposable
{
    /// <summary>The name of the optimiser group holding P.</summary>
    public const string PromptGroupName = "prompt";

    /// <summary>The half-width of <see cref="InitializeRandom"/>'s default range, as Lester et al. (2021) used.</summary>
    public const float DefaultRandomRange = 0.5f;

    private bool _disposed;

    /// <summary>Allocates P and dP on <paramref name="backend"/>, both zero.</summary>
    protected SoftPrompt(IBackend backend, int promptLength, int dim)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(promptLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        Backend = backend;
        PromptLength = promptLength;
        Dim = dim;
        Prompt = Zeros(promptLength, dim);
        PromptGradient = Zeros(promptLength, dim);
    }

    /// <summary>The backend the tensors live on.</summary>
    public IBackend Backend { get; }

    /// <summary>Prompt length m.</summary>
    public int PromptLength { get; }

    /// <summary>Model width d.</summary>
    public int Dim { get; }

    /// <summary>P (1, m, d) F32.</summary>
    public Tensor Prompt { get; }

    /// <summary>dP (1, m, d) F32, accumulated by the backward op.</summary>
    public Tensor PromptGradient { get; }

    /// <summary>What the prompt-input op reads.</summary>
    public abstract PromptParameters Parameters { get; }

    /// <summary>What the prompt-input backward accumulates into.</summary>
    public abstract PromptGradients Gradients { get; }

    /// <summary>Trainable parameters: m·d, plus r·(s+d) for DePT.</summary>
    public abstract long TrainableParameterCount { get; }

    /// <summary>The optimiser groups: P under <see cref="AdamWSettings.PromptLearningRate"/> (and A, B for DePT).</summary>
    public abstract IReadOnlyList<ParameterGroup> OptimizerGroups(AdamWSettings settings);

    /// <summary>
    /// The prompted input (B, m+L, d) in <paramref name="dtype"/> for token ids (B, L) I32: the m rows of P, then the
    /// tokens' rows of <paramref name="embeddings"/> (V, d) (unscaled), with Δ for DePT, its rows aligned to each
    /// example's first real token by <paramref name="rowOffsets"/> (B) when given (<see cref="IBackend.PromptInputForward"/>).
    /// Owned by the caller.
    /// </summary>
    internal Tensor EmbedInputs(Tensor tokenIds, Tensor embeddings, DType dtype, Tensor? rowOffsets = null)
    {
        var output = Backend.Allocate(dtype, tokenIds.Dim(0), PromptLength + tokenIds.Dim(1), Dim);
        try
        {
            Backend.PromptInputForward(output, tokenIds, embeddings, Parameters, null, 1f, rowOffsets);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>
    /// TEXT: P row i = table[textTokenIds[i mod n]], the token ids of a text cycled (or cut) to length m, looked
    /// up with the backend's EmbeddingLookup from the frozen word-embedding table (V, d) F32 or BF16.
    /// </summary>
    /// <exception cref="ArgumentException">The text has no token, or the table's width is not d.</exception>
    public void InitializeFromText(ReadOnlySpan<int> textTokenIds, Tensor embeddingTable)
    {
        if (textTokenIds.IsEmpty) throw new ArgumentException("TEXT initialisation: the text has no token ids.", nameof(textTokenIds));
        var ids = new int[PromptLength];
        for (int i = 0; i < ids.Length; i++) ids[i] = textTokenIds[i % textTokenIds.Length];
        LookUp(ids, embeddingTable);
    }

    /// <summary>TEXT from a table given as host floats, row-major (V, d).</summary>
    public void InitializeFromText(ReadOnlySpan<int> textTokenIds, ReadOnlySpan<float> embeddingTable)
    {
        using var table = Upload(embeddingTable);
        InitializeFromText(textTokenIds, table);
    }

    /// <summary>SAMPLE_VOCAB: P row i = table[id_i] with m ids drawn uniformly from [0, V) by <paramref name="seed"/>.</summary>
    public void InitializeFromVocabulary(Tensor embeddingTable, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(embeddingTable);
        CheckTable(embeddingTable);
        var random = new SeededRandom(seed);
        var ids = new int[PromptLength];
        for (int i = 0; i < ids.Length; i++) ids[i] = random.NextInt32(embeddingTable.Dim(0));
        LookUp(ids, embeddingTable);
    }

    /// <summary>SAMPLE_VOCAB from a table given as host floats, row-major (V, d).</summary>
    public void InitializeFromVocabulary(ReadOnlySpan<float> embeddingTable, ulong seed)
    {
        using var table = Upload(embeddingTable);
        InitializeFromVocabulary(table, seed);
    }

    /// <summary>RANDOM: every element of P uniform in [−range, range) drawn by <paramref name="seed"/> (SplitMix64).</summary>
    public void InitializeRandom(ulong seed, float range = DefaultRandomRange)
    {
        if (!(float.IsFinite(range) && range > 0f))
            throw new ArgumentOutOfRangeException(nameof(range), range, "RANDOM initialisation: the range must be finite and > 0.");
        FillUniform(Prompt, seed, range);
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees P and dP; subclasses free theirs and call this.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing) return;
        Prompt.Dispose();
        PromptGradient.Dispose();
    }

    /// <summary>A (1, rows, cols) F32 tensor of zeros on the backend.</summary>
    protected Tensor Zeros(int rows, int cols)
    {
        var tensor = Backend.Allocate(DType.F32, 1, rows, cols);
        Backend.Fill(tensor, 0f);
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> with values uniform in [−bound, bound) drawn by <paramref name="seed"/>.</summary>
    protected static void FillUniform(Tensor tensor, ulong seed, float bound)
    {
        var random = new SeededRandom(seed);
        var values = new float[tensor.Length];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextSingle(-bound, bound);
        tensor.CopyFrom(values);
    }

    /// <summary>The TrainableTensor of P for the optimiser.</summary>
    protected TrainableTensor PromptParameter => new(PromptTensorNames.Prompt, Prompt, PromptGradient);

    private void LookUp(int[] ids, Tensor embeddingTable)
    {
        ArgumentNullException.ThrowIfNull(embeddingTable);
        CheckTable(embeddingTable);
        using var tokenIds = Backend.Allocate(DType.I32, 1, ids.Length);
        tokenIds.CopyFrom(ids);
        Backend.EmbeddingLookup(Prompt, tokenIds, embeddingTable, 1f);
        Backend.Synchronize();
    }

    private void CheckTable(Tensor table)
    {
        if (table.Rank != 2 || table.Dim(1) != Dim || table.Dim(0) < 1)
            throw new ArgumentException($"Prompt initialisation: the embedding table is {table.ShapeText}; expected (V ≥ 1, d={Dim}).", nameof(table));
    }

    private Tensor Upload(ReadOnlySpan<float> table)
    {
        if (table.IsEmpty || table.Length % Dim != 0)
            throw new ArgumentException($"Prompt initialisation: the host embedding table holds {table.Length} floats, not a positive multiple of d={Dim}.", nameof(table));
        var tensor = Backend.Allocate(DType.F32, table.Length / Dim, Dim);
        tensor.CopyFrom(table);
        return tensor;
    }
}
