namespace DePT.Backends;

/// <summary>Which attention kernels the CUDA backend runs (<see cref="Cuda.CudaBackend.AttentionPath"/>).</summary>
public enum AttentionPath
{
    /// <summary>The fused kernels where they apply (bf16 query, key, value and output; head dim 32, 64 or 128), the unfused path elsewhere.</summary>
    Auto,

    /// <summary>Always the unfused path (cuBLAS products and a materialised softmax): the reference.</summary>
    Unfused,

    /// <summary>
    /// Always the fused kernels, fp32 included (the fp32 check path: the same tiles, each mma done by warp shuffles);
    /// a shape they do not take throws <see cref="NotSupportedException"/>.
    /// </summary>
    Fused,
}
