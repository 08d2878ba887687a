using DePT.Backends;
using DePT.Tensors;

namespace DePT.Serving;

/// <summary>
/// The served prompts of one prompt length m, stacked for one fused input pass: P (G, m, d) and, when any member is
/// DePT, Δ (G, R, d) with R the largest token limit of the members. A member's Δ rows past its own s (and every row of
/// a vanilla PT member) are zero: its examples are truncated to its limit, so those rows only meet padding, which the
/// mask hides, and PT's zero Δ leaves its embeddings as they are. Slot g is member g.
/// </summary>
internal sealed class PromptGroup : IDisposable
{
    public PromptGroup(IBackend backend, int dim, IReadOnlyList<ServedPrompt> members)
    {
        int count = members.Count, promptLength = members[0].PromptLength;
        Members = members;
        var prompt = new float[count * promptLength * dim];
        for (int g = 0; g < count; g++) members[g].Prompt.CopyTo(prompt, g * promptLength * dim);
        Prompt = backend.Allocate(DType.F32, count, promptLength, dim);
        try
        {
            Prompt.CopyFrom(prompt);
            if (!members.Any(p => p.Delta is not null)) return;
            int rows = members.Max(p => p.TokenLimit);
            var delta = new float[count * rows * dim];
            for (int g = 0; g < count; g++)
                if (members[g].Delta is { } memberDelta)
                    memberDelta.AsSpan(0, Math.Min(members[g].MaxLength, rows) * dim).CopyTo(delta.AsSpan(g * rows * dim));
            Delta = backend.Allocate(DType.F32, count, rows, dim);
            Delta.CopyFrom(delta);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The prompts in slot order.</summary>
    public IReadOnlyList<ServedPrompt> Members { get; }

    /// <summary>P (G, m, d) F32.</summary>
    public Tensor Prompt { get; }

    /// <summary>Δ (G, R, d) F32, or null when every member is vanilla PT.</summary>
    public Tensor? Delta { get; }

    /// <summary>What the fused input op reads: the serving form (never A and B).</summary>
    public PromptParameters Parameters => Delta is null ? PromptParameters.Vanilla(Prompt) : PromptParameters.WithDelta(Prompt, Delta);

    public void Dispose()
    {
        Prompt?.Dispose();
        Delta?.Dispose();
    }
}
