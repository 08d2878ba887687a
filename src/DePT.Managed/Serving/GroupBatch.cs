using DePT.Tokenizers;

namespace DePT.Serving;

/// <summary>The examples of one request that share a prompt length: one fused pass.</summary>
/// <param name="Group">Their prompts, stacked.</param>
/// <param name="ExampleIndices">Each row's position in the request.</param>
/// <param name="Slots">Each row's prompt slot in <paramref name="Group"/> (the op's prompt index).</param>
/// <param name="Tokens">The rows' token ids, each truncated to its prompt's limit, right-padded to the longest.</param>
internal sealed record GroupBatch(PromptGroup Group, int[] ExampleIndices, int[] Slots, TokenBatch Tokens)
{
    public int PromptLength => Group.Members[0].PromptLength;
}
