using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>A frozen linear layer: weight (out, in) as Hugging Face stores it, optional bias (out).</summary>
internal sealed record LinearWeights(Tensor Weight, Tensor? Bias = null)
{
    public int OutFeatures => Weight.Dim(0);

    public int InFeatures => Weight.Dim(1);
}
