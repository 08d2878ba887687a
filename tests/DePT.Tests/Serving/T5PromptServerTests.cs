using DePT.Checkpoints;
using DePT.IO;
using DePT.Models.T5;
using DePT.Prompts;
using DePT.Serving;
using DePT.Tensors;
using DePT.Tests.IO;
using DePT.Tests.Models;

namespace DePT.Tests.Serving;

/// <summary>Mixed-prompt generation on the tiny T5 fixture (d = 32) on the CPU backend, against each example alone through the training form (A, B).</summary>
public class T5PromptServerTests
{
    private const int MaxNewTokens = 6;

    [Test]
    public void MixedBatch_GeneratesWhatEachExampleAloneGenerates_InOneInputPassPerPromptLength()
    {
        var (backend, counter) = CountingBackend.Create();
        using var model = T5Model.Load(backend, FixtureFolder, DType.F32);
        var prompts = ServingTestPrompts.Make(backend, model.Config.ModelDim);
        using var server = new T5PromptServer(model, new NumberTokenizer(), Identity(), maxInputLength: 12);
        foreach (var (name, prompt) in prompts) server.AddPrompt(name, prompt);
        var requests = ServingTestPrompts.Requests([.. prompts.Keys], perName: 3);

        counter.Reset();
        int[][] served = server.GenerateTokenIds(requests, MaxNewTokens);
        string[] texts = server.Generate(requests, MaxNewTokens);

        // two prompt lengths (m = 3 and 2) → two fused input passes a request, both in the serving form
        Assert.That(counter.Count("PromptInputForward"), Is.EqualTo(4));
        Assert.That(counter.PromptInputs, Has.All.Matches<Backends.PromptParameters>(p => p.LowRankA is null && p.Delta is not null));
        Assert.That(counter.PromptInputs.Select(p => p.Prompt.Dim(0)), Is.EquivalentTo(new[] { 3, 1, 3, 1 }), "prompts stacked per m");
        Assert.That(counter.Count("LowRankDelta"), Is.Zero, "Δ is computed when a prompt is added, not per request");

        var tokenizer = new NumberTokenizer();
        for (int i = 0; i < requests.Count; i++)
        {
            var (name, text) = requests[i];
            int[] alone = GenerateAlone(model, prompts[name], tokenizer.Encode(text, ServingTestPrompts.Limit(prompts[name], 12)));
            Assert.That(served[i], Is.EqualTo(alone), $"request {i} ({name}: {text})");
            Assert.That(texts[i], Is.EqualTo(tokenizer.Decode(alone)), $"request {i} text");
        }
        // the prompts must matter, else this test could not tell them apart: over the request texts, some text must
        // generate differently under different prompts (one text alone can, by chance, give the same greedy ids)
        bool promptsMatter = requests.Select(r => r.Text).Distinct().Any(text => prompts.Values
            .Select(p => string.Join(',', GenerateAlone(model, p, tokenizer.Encode(text, ServingTestPrompts.Limit(p, 12)))))
            .Distinct().Count() > 1);
        Assert.That(promptsMatter, Is.True, "every request text generates the same ids under all four prompts");
        foreach (var prompt in prompts.Values) prompt.Dispose();
    }

    [Test]
    public void DeltaIsComputedOncePerDecomposedPrompt_WhenAdded()
    {
        var (backend, counter) = CountingBackend.Create();
        using var model = T5Model.Load(backend, FixtureFolder, DType.F32);
        var prompts = ServingTestPrompts.Make(backend, model.Config.ModelDim);
        using var server = new T5PromptServer(model, new NumberTokenizer(), Identity());
        counter.Reset();
        foreach (var (name, prompt) in prompts) server.AddPrompt(name, prompt);
        Assert.That(counter.Count("LowRankDelta"), Is.EqualTo(3), "three DePT prompts, one PT");

        var requests = ServingTestPrompts.Requests([.. prompts.Keys], perName: 1);
        server.GenerateTokenIds(requests, 2);
        server.GenerateTokenIds(requests, 2);
        Assert.That(counter.Count("LowRankDelta"), Is.EqualTo(3));
        foreach (var prompt in prompts.Values) prompt.Dispose();
    }

    [Test]
    public void UnknownPromptName_IsRefusedWithTheServedNames()
    {
        using var model = T5Model.Load(new Backends.Cpu.CpuBackend(), FixtureFolder, DType.F32);
        var prompts = ServingTestPrompts.Make(model.Backend, model.Config.ModelDim);
        using var server = new T5PromptServer(model, new NumberTokenizer(), Identity());
        server.AddPrompt("dept-a", prompts["dept-a"]);
        server.AddPrompt("pt", prompts["pt"]);

        var ex = Assert.Throws<KeyNotFoundException>(() => server.GenerateTokenIds([("pt", "7 8"), ("sentiment", "9 10")], 2));
        Assert.That(ex!.Message, Does.Contain("'sentiment'").And.Contain("'dept-a'").And.Contain("'pt'").And.Contain("Request 1"));

        Assert.That(server.RemovePrompt("pt"), Is.True);
        Assert.That(server.RemovePrompt("pt"), Is.False);
        Assert.Throws<KeyNotFoundException>(() => server.GenerateTokenIds([("pt", "7 8")], 2));
        Assert.That(server.PromptNames, Is.EqualTo(new[] { "dept-a" }));
        Assert.Throws<ArgumentException>(() => server.AddPrompt("dept-a", prompts["dept-b"]), "a taken name");
        foreach (var prompt in prompts.Values) prompt.Dispose();
    }

    [Test]
    public void PromptFiles_AreServed_AndAPromptOfAnotherModelIsRefused()
    {
        using var folder = new TemporaryFolder();
        using var model = T5Model.Load(new Backends.Cpu.CpuBackend(), FixtureFolder, DType.F32);
        var prompts = ServingTestPrompts.Make(model.Backend, model.Config.ModelDim);
        var identity = Identity();
        using var fromFiles = new T5PromptServer(model, new NumberTokenizer(), identity);
        using var inMemory = new T5PromptServer(model, new NumberTokenizer(), identity);
        foreach (var (name, prompt) in prompts)
        {
            string path = Path.Combine(folder.Path, name + ".safetensors");
            PromptFile.Save(path, prompt, identity);
            fromFiles.AddPrompt(name, path);
            inMemory.AddPrompt(name, prompt);
        }
        var requests = ServingTestPrompts.Requests([.. prompts.Keys], perName: 2);
        Assert.That(fromFiles.GenerateTokenIds(requests, MaxNewTokens), Is.EqualTo(inMemory.GenerateTokenIds(requests, MaxNewTokens)));

        var other = identity with { EmbeddingSha256 = new string('0', 64) };
        string foreign = Path.Combine(folder.Path, "foreign.safetensors");
        PromptFile.Save(foreign, prompts["dept-a"], other);
        Assert.Throws<PromptModelMismatchException>(() => fromFiles.AddPrompt("foreign", foreign));
        Assert.That(fromFiles.PromptNames, Does.Not.Contain("foreign"));
        foreach (var prompt in prompts.Values) prompt.Dispose();
    }

    private static string FixtureFolder => Path.Combine(ReferenceFixture.Root, "t5_v1_0");

    private static ModelIdentity Identity()
    {
        using var file = SafetensorsFile.Open(Path.Combine(FixtureFolder, "model.safetensors"));
        return ModelIdentity.FromSafetensors("t5", 2, file, "shared.weight");
    }

    /// <summary>One example, batch 1, through the training form (A, B, no precomputed Δ): trimmed after its first &lt;/s&gt;.</summary>
    private static int[] GenerateAlone(T5Model model, SoftPrompt prompt, int[] ids)
    {
        var backend = model.Backend;
        using var tokens = backend.Allocate(DType.I32, 1, ids.Length);
        tokens.CopyFrom(ids);
        using var embeds = backend.Allocate(DType.F32, 1, prompt.PromptLength + ids.Length, model.Config.ModelDim);
        backend.PromptInputForward(embeds, tokens, model.Embeddings, prompt.Parameters, null, 1f);
        using var mask = backend.Allocate(DType.I32, 1, prompt.PromptLength + ids.Length);
        mask.CopyFrom(Enumerable.Repeat(1, prompt.PromptLength + ids.Length).ToArray());
        int[,] generated = model.Generate(embeds, mask, MaxNewTokens);
        var result = new List<int>();
        for (int t = 1; t < generated.GetLength(1); t++)
        {
            result.Add(generated[0, t]);
            if (generated[0, t] == model.Config.EosTokenId) break;
        }
        return [.. result];
    }
}
