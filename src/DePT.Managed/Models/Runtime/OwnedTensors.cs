using DePT.Tensors;

namespace DePT.Models.Runtime;

/// <summary>Tensors created together and released together (in reverse order), e.g. a model's weights while loading.</summary>
internal sealed class OwnedTensors : IDisposable
{
    private readonly List<Tensor> _tensors = [];

    public long ByteSize => _tensors.Sum(t => t.IsDisposed ? 0 : t.ByteSize);

    public Tensor Add(Tensor tensor)
    {
        _tensors.Add(tensor);
        return tensor;
    }

    public void Dispose()
    {
        for (int i = _tensors.Count - 1; i >= 0; i--) _tensors[i].Dispose();
        _tensors.Clear();
    }
}
