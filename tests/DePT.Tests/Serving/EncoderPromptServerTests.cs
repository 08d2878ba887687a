using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Checkpoints;
using DePT.IO;
using DePT.Models.Bert;
using DePT.Prompts;
using DePT.Serving;
using DePT.Tensors;
using DePT.Tests.IO;
using DePT.Tests.Models;
using DePT.Training.Classification;

namespace DePT.Tests.Serving;

/// <summary>Mixed-prompt classification on the tiny BERT fixture (d = 32, 64 positions) on the CPU backend, against each example alone through the training form (A, B).</summary>
public class EncoderPromptServerTests
{
    private const int Cap = 12;

    [Test]
    public void MixedBatch_GivesTheLogitsOfEachExampleAlone_WithItsOwnHead()
    {
        var (backend, counter) = CountingBackend.Create();
        using var model = BertModel.Load(backend, FixtureFolder, DType.F32);
        int d = model.Config.HiddenSize;
        var prompts = ServingTestPrompts.Make(backend, d);
        var random = ServingTestPrompts.Draw(3);
        // heads of different class counts, with non-zero biases
        var heads = prompts.Keys.Select((name, i) => (name, head: new ClassificationHead(backend, d, 2 + i % 3, random.NextULong()))).ToDictionary(p => p.name, p => p.head);
        foreach (var head in heads.Values) head.Bias.CopyFrom(ModelTestData.Normal(head.ClassCount, 0.3, random));
        using var server = new EncoderPromptServer(model, new NumberTokenizer(), Identity(), maxInputLength: Cap);
        foreach (var (name, prompt) in prompts) server.AddPrompt(name, prompt, heads[name]);
        var requests = ServingTestPrompts.Requests([.. prompts.Keys], perName: 3);

        counter.Reset();
        float[][] logits = server.ClassifyLogits(requests);
        int[] classes = server.Classify(requests);

        Assert.That(counter.Count("PromptInputForward"), Is.EqualTo(4), "two prompt lengths → two fused input passes a request");
        Assert.That(counter.PromptInputs, Has.All.Matches<PromptParameters>(p => p.LowRankA is null && p.Delta is not null));
        Assert.That(counter.Count("LowRankDelta"), Is.Zero);
        var tokenizer = new NumberTokenizer();
        for (int i = 0; i < requests.Count; i++)
        {
            var (name, text) = requests[i];
            float[] alone = LogitsAlone(model, prompts[name], heads[name], tokenizer.Encode(text, ServingTestPrompts.Limit(prompts[name], Cap)));
            Assert.That(logits[i], Is.EqualTo(alone).Within(1e-5f), $"request {i} ({name}: {text})");
            Assert.That(classes[i], Is.EqualTo(Array.IndexOf(alone, alone.Max())), $"request {i} class");
        }
        // the prompts must matter: one text under two prompts of the same head shape gives different logits
        var (text0, ids0) = (requests[0].Text, tokenizer.Encode(requests[0].Text, 6));
        Assert.That(LogitsAlone(model, prompts["dept-a"], heads["dept-a"], ids0),
            Is.Not.EqualTo(LogitsAlone(model, prompts["dept-b"], heads["dept-a"], ids0)).Within(1e-3f), text0);

        // the server keeps its own copies: the caller's prompts and heads may go
        foreach (var prompt in prompts.Values) prompt.Dispose();
        foreach (var head in heads.Values) head.Dispose();
        Assert.That(server.ClassifyLogits(requests), Is.EqualTo(logits));
    }

    [Test]
    public void DeltaIsComputedOnce_AndAPromptFileOfAnotherModelIsRefused()
    {
        using var folder = new TemporaryFolder();
        var (backend, counter) = CountingBackend.Create();
        using var model = BertModel.Load(backend, FixtureFolder, DType.F32);
        int d = model.Config.HiddenSize;
        var prompts = ServingTestPrompts.Make(backend, d);
        var identity = Identity();
        using var head = new ClassificationHead(backend, d, 3, ServingTestPrompts.Draw(4).NextULong());
        using var server = new EncoderPromptServer(model, new NumberTokenizer(), identity);
        counter.Reset();
        foreach (var (name, prompt) in prompts)
        {
            string path = Path.Combine(folder.Path, name + ".safetensors");
            PromptFile.Save(path, prompt, identity);
            server.AddPrompt(name, path, head);
        }
        Assert.That(counter.Count("LowRankDelta"), Is.EqualTo(3), "three DePT prompts, one PT");
        var requests = ServingTestPrompts.Requests([.. prompts.Keys], perName: 2);
        server.Classify(requests);
        server.Classify(requests);
        Assert.That(counter.Count("LowRankDelta"), Is.EqualTo(3));

        string foreign = Path.Combine(folder.Path, "foreign.safetensors");
        PromptFile.Save(foreign, prompts["pt"], identity with { LayerCount = identity.LayerCount + 1 });
        Assert.Throws<PromptModelMismatchException>(() => server.AddPrompt("foreign", foreign, head));
        var ex = Assert.Throws<KeyNotFoundException>(() => server.Classify([("foreign", "5 6")]));
        Assert.That(ex!.Message, Does.Contain("'dept-a'").And.Contain("'dept-b'").And.Contain("'pt'").And.Contain("'dept-short'"));
        Assert.That(server.RemovePrompt("dept-a"), Is.True);
        Assert.Throws<KeyNotFoundException>(() => server.Classify([("dept-b", "5 6"), ("dept-a", "7 8")]));
        foreach (var prompt in prompts.Values) prompt.Dispose();
    }

    [Test]
    public void AHeadOfAnotherWidth_IsRefused()
    {
        var cpu = new CpuBackend();
        using var model = BertModel.Load(cpu, FixtureFolder, DType.F32);
        using var prompt = new PromptTuning(cpu, 2, model.Config.HiddenSize);
        using var head = new ClassificationHead(cpu, model.Config.HiddenSize + 1, 2, seed: 1);
        using var server = new EncoderPromptServer(model, new NumberTokenizer(), Identity());
        var ex = Assert.Throws<ArgumentException>(() => server.AddPrompt("p", prompt, head));
        Assert.That(ex!.Message, Does.Contain("d=33").And.Contain("32"));
        Assert.That(server.PromptNames, Is.Empty);
    }

    private static string FixtureFolder => Path.Combine(ReferenceFixture.Root, "bert");

    private static ModelIdentity Identity()
    {
        using var file = SafetensorsFile.Open(Path.Combine(FixtureFolder, "model.safetensors"));
        return ModelIdentity.FromSafetensors("bert", 2, file, "embeddings.word_embeddings.weight");
    }

    /// <summary>One example, batch 1, through the training form (A, B): prompt input → encoder → mean over the real tokens → head.</summary>
    private static float[] LogitsAlone(BertModel model, SoftPrompt prompt, ClassificationHead head, int[] ids)
    {
        var backend = model.Backend;
        int m = prompt.PromptLength, width = m + ids.Length;
        using var tokens = backend.Allocate(DType.I32, 1, ids.Length);
        tokens.CopyFrom(ids);
        using var embeds = backend.Allocate(DType.F32, 1, width, model.Config.HiddenSize);
        backend.PromptInputForward(embeds, tokens, model.Embeddings, prompt.Parameters, null, 1f);
        using var attention = backend.Allocate(DType.I32, 1, width);
        attention.CopyFrom(Enumerable.Repeat(1, width).ToArray());
        using var pooling = backend.Allocate(DType.I32, 1, width);
        pooling.CopyFrom([.. Enumerable.Repeat(0, m), .. Enumerable.Repeat(1, ids.Length)]);
        using var output = model.Forward(embeds, attention);
        using var pooled = model.Pool(output.LastHiddenState, pooling, PoolingKind.Mean);
        using var logits = backend.Allocate(DType.F32, 1, head.ClassCount);
        head.Forward(logits, pooled);
        return logits.ToFloatArray();
    }
}
