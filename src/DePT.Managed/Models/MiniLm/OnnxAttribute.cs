namespace DePT.Models.MiniLm;

/// <summary>A node attribute of one of the scalar kinds weight loading needs; other kinds
/// (graphs, lists) are kept by name with every value null.</summary>
/// <param name="Name">The attribute's name, e.g. <c>transB</c>.</param>
/// <param name="Int">The INT value (<c>AttributeProto.i</c>), if set.</param>
/// <param name="Float">The FLOAT value (<c>AttributeProto.f</c>), if set.</param>
/// <param name="String">The STRING value (<c>AttributeProto.s</c>, UTF-8), if set.</param>
/// <param name="Tensor">The TENSOR value (<c>AttributeProto.t</c>), e.g. a Constant node's value, if set.</param>
public sealed record OnnxAttribute(string Name, long? Int, float? Float, string? String, OnnxTensor? Tensor);
