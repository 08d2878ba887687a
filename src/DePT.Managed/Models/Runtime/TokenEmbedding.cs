using DePT.Backends;
using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>The plain model input without a prompt, as every model's <c>EmbedTokens</c> makes it.</summary>
internal static class TokenEmbedding
{
    /// <summary>inputs_embeds (B, L, d) in <paramref name="dtype"/> = <paramref name="table"/> (V, d)[<paramref name="tokenIds"/> (B, L)], unscaled; owned by the caller.</summary>
    public static Tensor Lookup(IBackend backend, Tensor tokenIds, Tensor table, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        ModelInputs.RequireDevice(backend, tokenIds, nameof(tokenIds));
        if (tokenIds.DType != DType.I32 || tokenIds.Rank != 2)
            throw new ArgumentException($"tokenIds is {tokenIds.ShapeText}; expected i32 (B, L).", nameof(tokenIds));
        var output = backend.Allocate(dtype, tokenIds.Dim(0), tokenIds.Dim(1), table.Dim(1));
        try
        {
            backend.EmbeddingLookup(output, tokenIds, table, 1f);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }
}
