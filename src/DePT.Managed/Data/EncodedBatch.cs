using DePT.Tokenizers;

namespace DePT.Data;

/// <summary>A batch of examples as model inputs.</summary>
/// <param name="Inputs">The input ids, padded to the batch's longest input.</param>
/// <param name="Targets">The target ids (text-to-text), padded to the longest target; null for classification.</param>
/// <param name="Labels">The label index of each row (classification); null for text-to-text.</param>
/// <param name="TruncatedInputs">How many inputs were cut to the maximum input length.</param>
/// <param name="TruncatedTargets">How many targets were cut to the maximum target length.</param>
public sealed record EncodedBatch(TokenBatch Inputs, TokenBatch? Targets, int[]? Labels, int TruncatedInputs, int TruncatedTargets);
