using DePT.Backends.Cpu;
using DePT.Checkpoints;
using DePT.Prompts;
using DePT.Tests.Ops;

namespace DePT.Tests.Checkpoints;

/// <summary>PromptFile.LoadInto (resuming into a live prompt): the values arrive; another model, method, shape or scale is refused and copies nothing.</summary>
public class PromptFileLoadIntoTests
{
    private const int Dim = 6;
    private readonly CpuBackend _cpu = new();
    private Random _rng = new(0);
    private string _folder = "";
    private string _path = "";

    [SetUp]
    public void SetUp()
    {
        _rng = OpTest.NewRandom();
        _folder = Directory.CreateTempSubdirectory("dept-loadinto-").FullName;
        _path = Path.Combine(_folder, "prompt.safetensors");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_folder, recursive: true);

    private ModelIdentity Model() => ModelIdentity.FromEmbeddingBytes("t5", Dim, 32, 2, OpTest.Values(_rng, 32 * Dim).SelectMany(BitConverter.GetBytes).ToArray());

    private DecomposedPrompt RandomDept(int m = 3, int maxLength = 7, int rank = 2, float? alpha = 8f)
    {
        var prompt = new DecomposedPrompt(_cpu, m, Dim, maxLength, rank, (ulong)_rng.NextInt64(), alpha);
        prompt.Prompt.CopyFrom(OpTest.Values(_rng, prompt.Prompt.Length));
        prompt.LowRankA.CopyFrom(OpTest.Values(_rng, prompt.LowRankA.Length));
        prompt.LowRankB.CopyFrom(OpTest.Values(_rng, prompt.LowRankB.Length));
        return prompt;
    }

    [Test]
    public void LoadsEveryPartIntoALivePrompt()
    {
        var model = Model();
        using var saved = RandomDept();
        PromptFile.Save(_path, saved, model);
        using var live = RandomDept();

        PromptFile.LoadInto(_path, live, model);

        Assert.That(live.Prompt.ToFloatArray(), Is.EqualTo(saved.Prompt.ToFloatArray()));
        Assert.That(live.LowRankA.ToFloatArray(), Is.EqualTo(saved.LowRankA.ToFloatArray()));
        Assert.That(live.LowRankB.ToFloatArray(), Is.EqualTo(saved.LowRankB.ToFloatArray()));

        using var pt = new PromptTuning(_cpu, 4, Dim);
        pt.Prompt.CopyFrom(OpTest.Values(_rng, pt.Prompt.Length));
        string ptPath = Path.Combine(_folder, "pt.safetensors");
        PromptFile.Save(ptPath, pt, model);
        using var livePt = new PromptTuning(_cpu, 4, Dim);
        PromptFile.LoadInto(ptPath, livePt, model);
        Assert.That(livePt.Prompt.ToFloatArray(), Is.EqualTo(pt.Prompt.ToFloatArray()));
    }

    [Test]
    public void APromptOfAnotherModelIsRefused()
    {
        var model = Model();
        using var saved = RandomDept();
        PromptFile.Save(_path, saved, model);
        using var live = RandomDept();
        float[] before = live.Prompt.ToFloatArray();

        var other = model with { EmbeddingSha256 = new string('f', 64) };
        var ex = Assert.Throws<PromptModelMismatchException>(() => PromptFile.LoadInto(_path, live, other))!;
        Assert.That((ex.PromptModel, ex.GivenModel), Is.EqualTo((model, other)));
        Assert.That(live.Prompt.ToFloatArray(), Is.EqualTo(before));
    }

    [TestCase(4, 7, 2, TestName = "LoadInto_AnotherPromptLength_IsRefused")]
    [TestCase(3, 8, 2, TestName = "LoadInto_AnotherMaxLength_IsRefused")]
    [TestCase(3, 7, 3, TestName = "LoadInto_AnotherRank_IsRefused")]
    public void AnotherShapeIsRefusedNamingBoth(int m, int maxLength, int rank)
    {
        var model = Model();
        using var saved = RandomDept();
        PromptFile.Save(_path, saved, model);
        using var live = RandomDept(m, maxLength, rank);
        float[] before = live.Prompt.ToFloatArray();

        Assert.That(() => PromptFile.LoadInto(_path, live, model), Throws.TypeOf<CheckpointFormatException>()
            .With.Message.Contains("m=3, r=2, s=7").And.Message.Contains($"m={m}, r={rank}, s={maxLength}"));
        Assert.That(live.Prompt.ToFloatArray(), Is.EqualTo(before), "nothing was copied");
    }

    [Test]
    public void AnotherMethodOrScaleIsRefused()
    {
        var model = Model();
        using var saved = RandomDept();
        PromptFile.Save(_path, saved, model);
        using var pt = new PromptTuning(_cpu, 3, Dim);
        Assert.That(() => PromptFile.LoadInto(_path, pt, model), Throws.TypeOf<CheckpointFormatException>().With.Message.Contains("PromptTuning"));

        using var otherScale = RandomDept(alpha: 4f);
        float[] before = otherScale.Prompt.ToFloatArray();
        Assert.That(() => PromptFile.LoadInto(_path, otherScale, model), Throws.TypeOf<CheckpointFormatException>().With.Message.Contains("scale"));
        Assert.That(otherScale.Prompt.ToFloatArray(), Is.EqualTo(before), "a refused file copies nothing, the prompt rows included");
    }
}
