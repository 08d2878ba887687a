using DePT.Backends;
using DePT.Checkpoints;
using DePT.Models.Runtime;
using DePT.Prompts;
using DePT.Tensors;
using DePT.Tokenizers;

namespace DePT.Serving;

/// <summary>
/// The named prompts of a server and the machinery both servers share: Δ = scale·A·B computed once per DePT prompt
/// when it is added (<see cref="IBackend.LowRankDelta"/>), the prompts stacked per prompt length m
/// (<see cref="PromptGroup"/>, rebuilt only after an add or remove), and a request split into one fused input pass per
/// m present, each example reading its own prompt through the op's prompt index.
/// </summary>
internal sealed class ServedPromptSet : IDisposable
{
    private readonly Dictionary<string, ServedPrompt> _prompts = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];   // insertion order, which is also the slot order within a group
    private readonly Dictionary<int, PromptGroup> _groups = [];
    private readonly Func<int, int> _modelTokenLimit;

    /// <param name="backend">Where the model runs.</param>
    /// <param name="dim">The model's width d.</param>
    /// <param name="model">The frozen model's identity: prompt files must belong to it.</param>
    /// <param name="modelTokenLimit">The most input tokens the model takes after m prompt rows.</param>
    public ServedPromptSet(IBackend backend, int dim, ModelIdentity model, Func<int, int> modelTokenLimit)
    {
        Backend = backend;
        Dim = dim;
        Model = model;
        _modelTokenLimit = modelTokenLimit;
    }

    public IBackend Backend { get; }

    public int Dim { get; }

    public ModelIdentity Model { get; }

    public IReadOnlyList<string> Names => _order;

    /// <summary>Reads a prompt file made for <see cref="Model"/> (else its <see cref="PromptModelMismatchException"/>).</summary>
    public SoftPrompt Load(string path) => PromptFile.Load(path, Backend, Model);

    /// <summary>Copies <paramref name="prompt"/> in under <paramref name="name"/>, computing its Δ once.</summary>
    public void Add(string name, SoftPrompt prompt)
    {
        CheckNewName(name);
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.Backend != Backend)
            throw new ArgumentException($"Prompt '{name}' lives on another backend than the served model.", nameof(prompt));
        if (prompt.Dim != Dim)
            throw new ArgumentException($"Prompt '{name}' has width d={prompt.Dim}; the served model's is {Dim}.", nameof(prompt));
        int m = prompt.PromptLength, limit = _modelTokenLimit(m);
        if (limit < 1)
            throw new ArgumentException($"Prompt '{name}' has m={m} rows, which leaves the served model no room for input tokens.", nameof(prompt));

        Backend.Synchronize();
        float[]? delta = null;
        int maxLength = 0;
        if (prompt is DecomposedPrompt dept)
        {
            maxLength = dept.MaxLength;
            limit = Math.Min(limit, maxLength);
            using var deltaTensor = Backend.Allocate(DType.F32, 1, maxLength, Dim);
            Backend.LowRankDelta(deltaTensor, dept.LowRankA, dept.LowRankB, dept.Scale);
            Backend.Synchronize();
            delta = deltaTensor.ToFloatArray();
        }
        _prompts.Add(name, new ServedPrompt(name, m, maxLength, limit, prompt.Prompt.ToFloatArray(), delta));
        _order.Add(name);
        DropGroup(m);
    }

    public bool Remove(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_prompts.Remove(name, out var removed)) return false;
        _order.Remove(name);
        DropGroup(removed.PromptLength);
        return true;
    }

    /// <summary>
    /// Splits a request into one batch per prompt length, in order of first appearance; each text is tokenized with
    /// its prompt's token limit and padded on the right, or with <paramref name="leftPadded"/> on the left (a causal LM
    /// generates after every row's last token). Every name is checked before any work is done.
    /// </summary>
    public List<GroupBatch> Plan(IReadOnlyList<(string PromptName, string Text)> requests, ITextTokenizer tokenizer, bool leftPadded = false)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var prompts = new ServedPrompt[requests.Count];
        for (int i = 0; i < requests.Count; i++)
        {
            var (name, text) = requests[i];
            if (name is null) throw new ArgumentException($"Request {i} names no prompt.", nameof(requests));
            if (text is null) throw new ArgumentException($"Request {i} (prompt '{name}') has no text.", nameof(requests));
            prompts[i] = _prompts.TryGetValue(name, out var prompt) ? prompt : throw Unknown(name, i);
        }

        var batches = new List<GroupBatch>();
        foreach (int m in prompts.Select(p => p.PromptLength).Distinct())
        {
            var group = GroupOf(m);
            var slotOf = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int g = 0; g < group.Members.Count; g++) slotOf[group.Members[g].Name] = g;
            var indices = new List<int>();
            for (int i = 0; i < prompts.Length; i++)
                if (prompts[i].PromptLength == m) indices.Add(i);
            var rows = new int[indices.Count][];
            var slots = new int[indices.Count];
            for (int k = 0; k < indices.Count; k++)
            {
                var prompt = prompts[indices[k]];
                if (prompt.TokenLimit < tokenizer.MinimumLength)
                    throw new InvalidOperationException($"Prompt '{prompt.Name}' takes at most {prompt.TokenLimit} input tokens, fewer than the tokenizer's {tokenizer.MinimumLength} special tokens.");
                rows[k] = tokenizer.Encode(requests[indices[k]].Text, prompt.TokenLimit);
                slots[k] = slotOf[prompt.Name];
            }
            int length = Math.Max(1, rows.Max(r => r.Length));
            var tokens = leftPadded
                ? TokenBatchBuilder.LeftPadded(rows, length, tokenizer.PaddingTokenId)
                : TokenBatchBuilder.RightPadded(rows, length, tokenizer.PaddingTokenId);
            batches.Add(new GroupBatch(group, [.. indices], slots, tokens));
        }
        return batches;
    }

    /// <summary>
    /// The fused DePT input (B, m+L, d) in <paramref name="dtype"/>: one pass, each row with its own prompt and Δ, Δ's
    /// rows aligned to each example's first real token by <paramref name="rowOffsets"/> (B) when the batch is left-padded.
    /// </summary>
    public Tensor Embed(GroupBatch batch, Tensor embeddings, DType dtype, Tensor? rowOffsets = null)
    {
        var tokens = batch.Tokens;
        using var tokenIds = Backend.UploadInt32(tokens.InputIds, tokens.BatchSize, tokens.SequenceLength);
        using var promptIndex = Backend.UploadInt32(batch.Slots, tokens.BatchSize);
        var output = Backend.Allocate(dtype, tokens.BatchSize, batch.PromptLength + tokens.SequenceLength, Dim);
        try
        {
            Backend.PromptInputForward(output, tokenIds, embeddings, batch.Group.Parameters, promptIndex, 1f, rowOffsets);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>A (B, m+L) I32 mask: <paramref name="promptValue"/> on the m prompt rows, then the attention mask.</summary>
    public Tensor Mask(GroupBatch batch, int promptValue)
    {
        var tokens = batch.Tokens;
        return Backend.UploadInt32(AttentionMasks.WithPromptRows(tokens.AttentionMask, tokens.BatchSize, tokens.SequenceLength, batch.PromptLength, promptValue),
            tokens.BatchSize, batch.PromptLength + tokens.SequenceLength);
    }

    public void Dispose()
    {
        foreach (var group in _groups.Values) group.Dispose();
        _groups.Clear();
    }

    private PromptGroup GroupOf(int promptLength)
    {
        if (_groups.TryGetValue(promptLength, out var group)) return group;
        var members = _order.Select(n => _prompts[n]).Where(p => p.PromptLength == promptLength).ToList();
        group = new PromptGroup(Backend, Dim, members);
        _groups.Add(promptLength, group);
        return group;
    }

    private void DropGroup(int promptLength)
    {
        if (_groups.Remove(promptLength, out var group)) group.Dispose();
    }

    /// <summary>Refuses an empty name or one already served.</summary>
    public void CheckNewName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_prompts.ContainsKey(name))
            throw new ArgumentException($"A prompt named '{name}' is already served; remove it first to replace it.", nameof(name));
    }

    private KeyNotFoundException Unknown(string name, int request) => new(
        $"Request {request} names no served prompt '{name}'; the served prompts are: " +
        (_order.Count == 0 ? "(none)" : string.Join(", ", _order.Select(n => $"'{n}'"))) + ".");
}
