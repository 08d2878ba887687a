using DePT.Backends.Cpu;
using DePT.Checkpoints;
using DePT.Data;
using DePT.IO;
using DePT.Tests.Ops;
using DePT.Training.Classification;

namespace DePT.Tests.Checkpoints;

/// <summary>
/// Classification head files: a round trip of fresh random values with the labels in their order, and the refusals:
/// another model, a newer format, a missing tensor, a shape that does not fit, labels in another order.
/// </summary>
public class ClassificationHeadFileTests
{
    private const int Dim = 5;
    private readonly CpuBackend _cpu = new();
    private Random _rng = new(0);
    private string _folder = "";
    private string _path = "";

    [SetUp]
    public void SetUp()
    {
        _rng = OpTest.NewRandom();
        _folder = Directory.CreateTempSubdirectory("dept-head-").FullName;
        _path = Path.Combine(_folder, "head.safetensors");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_folder, recursive: true);

    private ModelIdentity Model(int dim = Dim) =>
        ModelIdentity.FromEmbeddingBytes("bert", dim, 16, 2, OpTest.Values(_rng, 16 * dim).SelectMany(BitConverter.GetBytes).ToArray());

    private ClassificationHead RandomHead(int classes, int dim = Dim)
    {
        var head = new ClassificationHead(_cpu, dim, classes, seed: (ulong)_rng.NextInt64());
        head.Weight.CopyFrom(OpTest.Values(_rng, head.Weight.Length));
        head.Bias.CopyFrom(OpTest.Values(_rng, head.Bias.Length));
        return head;
    }

    [Test]
    public void RoundTripsValuesAndLabelOrder()
    {
        var model = Model();
        var labels = new LabelSet(["zebra", "apple", "mango"]);   // not sorted: the file keeps the head's order
        using var saved = RandomHead(3);
        ClassificationHeadFile.Save(_path, saved, labels, model);

        var (loaded, loadedLabels) = ClassificationHeadFile.Load(_path, _cpu, model);
        using (loaded)
        {
            Assert.That(loadedLabels.Labels, Is.EqualTo(new[] { "zebra", "apple", "mango" }));
            Assert.That((loaded.ClassCount, loaded.InputDim), Is.EqualTo((3, Dim)));
            Assert.That(loaded.Weight.ToFloatArray(), Is.EqualTo(saved.Weight.ToFloatArray()));
            Assert.That(loaded.Bias.ToFloatArray(), Is.EqualTo(saved.Bias.ToFloatArray()));
        }

        using var into = RandomHead(3);
        ClassificationHeadFile.LoadInto(_path, into, labels, model);
        Assert.That(into.Weight.ToFloatArray(), Is.EqualTo(saved.Weight.ToFloatArray()));
        Assert.That(into.Bias.ToFloatArray(), Is.EqualTo(saved.Bias.ToFloatArray()));

        using var file = SafetensorsFile.Open(_path);
        Assert.That(file.Tensors.Select(t => t.ToString()), Is.EquivalentTo(new[] { $"classifier.weight F32 [3, {Dim}]", "classifier.bias F32 [3]" }));
        Assert.That(file.Metadata["format_version"], Is.EqualTo(ClassificationHeadFile.FormatVersion.ToString()));
        Assert.That(file.Metadata["word_embeddings_sha256"], Is.EqualTo(model.EmbeddingSha256));
        Assert.That(Directory.GetFiles(_folder).Select(Path.GetFileName), Is.EqualTo(new[] { "head.safetensors" }), "no temporary file is left");
    }

    [Test]
    public void SaveRefusesLabelsThatAreNotOnePerClass_AndAHeadOfAnotherWidth()
    {
        using var head = RandomHead(3);
        Assert.That(() => ClassificationHeadFile.Save(_path, head, new LabelSet(["a", "b"]), Model()), Throws.ArgumentException.With.Message.Contains("2 labels for a head of 3"));
        Assert.That(() => ClassificationHeadFile.Save(_path, head, new LabelSet(["a", "b", "c"]), Model(Dim + 1)), Throws.ArgumentException.With.Message.Contains($"d_model is {Dim + 1}"));
        Assert.That(File.Exists(_path), Is.False);
    }

    [Test]
    public void AnotherModelIsRefusedNamingBoth()
    {
        var model = Model();
        var other = Model();
        using var head = RandomHead(2);
        ClassificationHeadFile.Save(_path, head, new LabelSet(["no", "yes"]), model);

        var ex = Assert.Throws<PromptModelMismatchException>(() => ClassificationHeadFile.Load(_path, _cpu, other))!;
        Assert.That((ex.PromptModel, ex.GivenModel), Is.EqualTo((model, other)));
        Assert.That(ex.Message, Does.Contain(model.EmbeddingSha256).And.Contain(other.EmbeddingSha256).And.Contain(_path));
        using var into = RandomHead(2);
        float[] before = into.Weight.ToFloatArray();
        Assert.Throws<PromptModelMismatchException>(() => ClassificationHeadFile.LoadInto(_path, into, new LabelSet(["no", "yes"]), model with { LayerCount = 3 }));
        Assert.That(into.Weight.ToFloatArray(), Is.EqualTo(before));
    }

    [Test]
    public void ANewerFormatVersionIsRefused()
    {
        var model = Model();
        using var head = RandomHead(2);
        ClassificationHeadFile.Save(_path, head, new LabelSet(["no", "yes"]), model);
        SafetensorsEdits.SetMetadata(_path, "format_version", (ClassificationHeadFile.FormatVersion + 1).ToString());

        Assert.That(() => ClassificationHeadFile.Load(_path, _cpu, model),
            Throws.TypeOf<CheckpointFormatException>().With.Message.Contains($"format_version is {ClassificationHeadFile.FormatVersion + 1}, newer").And.Message.Contains(_path));
    }

    [Test]
    public void AFileOfAnotherKindIsRefused()
    {
        var model = Model();
        using var head = RandomHead(2);
        ClassificationHeadFile.Save(_path, head, new LabelSet(["no", "yes"]), model);
        SafetensorsEdits.SetMetadata(_path, "kind", "dept_classification_tail");
        Assert.That(() => ClassificationHeadFile.Load(_path, _cpu, model), Throws.TypeOf<CheckpointFormatException>().With.Message.Contains("not a classification head"));
        Assert.That(() => ClassificationHeadFile.Load(Path.Combine(_folder, "missing.safetensors"), _cpu, model), Throws.TypeOf<FileNotFoundException>());
    }

    [TestCase(ClassificationHeadFile.BiasName)]
    [TestCase(ClassificationHeadFile.WeightName)]
    public void AMissingTensorIsRefusedByName(string missing)
    {
        var model = Model();
        using var head = RandomHead(2);
        ClassificationHeadFile.Save(_path, head, new LabelSet(["no", "yes"]), model);
        SafetensorsEdits.RewriteFloat32(_path, tensors => tensors.Where(t => t.Name != missing));

        Assert.That(() => ClassificationHeadFile.Load(_path, _cpu, model), Throws.TypeOf<CheckpointFormatException>().With.Message.Contains($"the tensor '{missing}' is missing"));
    }

    [Test]
    public void AWeightOfAnotherShapeIsRefused()
    {
        var model = Model();
        using var head = RandomHead(2);
        ClassificationHeadFile.Save(_path, head, new LabelSet(["no", "yes"]), model);
        SafetensorsEdits.RewriteFloat32(_path, tensors => tensors.Select(t =>
            t.Name == ClassificationHeadFile.WeightName ? (t.Name, t.Values.Take(2 * (Dim - 1)).ToArray(), new long[] { 2, Dim - 1 }) : t));

        Assert.That(() => ClassificationHeadFile.Load(_path, _cpu, model),
            Throws.TypeOf<CheckpointFormatException>().With.Message.Contains($"the weight is [2, {Dim - 1}]").And.Message.Contains($"need [2, {Dim}]"));
    }

    [Test]
    public void LoadIntoRefusesLabelsInAnotherOrder_AndAnotherClassCount()
    {
        var model = Model();
        using var saved = RandomHead(3);
        ClassificationHeadFile.Save(_path, saved, new LabelSet(["neg", "neu", "pos"]), model);

        using var into = RandomHead(3);
        float[] before = into.Weight.ToFloatArray();
        Assert.That(() => ClassificationHeadFile.LoadInto(_path, into, new LabelSet(["pos", "neu", "neg"]), model),
            Throws.TypeOf<CheckpointFormatException>().With.Message.Contains("[neg, neu, pos]").And.Message.Contains("[pos, neu, neg]"));
        Assert.That(into.Weight.ToFloatArray(), Is.EqualTo(before), "nothing was copied");
        using var two = RandomHead(2);
        Assert.That(() => ClassificationHeadFile.LoadInto(_path, two, new LabelSet(["neg", "pos"]), model), Throws.TypeOf<CheckpointFormatException>());
    }
}
