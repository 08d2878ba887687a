using DePT.Checkpoints;
using DePT.IO;
using DePT.Models.Llama;
using DePT.Prompts;
using DePT.Serving;
using DePT.Tensors;
using DePT.Tests.Models;

namespace DePT.Tests.Serving;

/// <summary>
/// Mixed-prompt generation on a tiny random Llama (d = 16, GQA) on the CPU backend: examples of different lengths are
/// left-padded together, and each must generate what it generates alone through the training form (A, B, no padding,
/// no row offsets): the row offsets give every padded example the Δ rows it was trained with.
/// </summary>
public class CausalLmPromptServerTests
{
    private const int MaxNewTokens = 5, Cap = 12;

    [Test]
    public void MixedLeftPaddedBatch_GeneratesWhatEachExampleAloneGenerates()
    {
        var config = TinyLlamaFolder.LlamaConfig();
        config["vocab_size"] = 100;   // the number tokenizer's ids reach 95
        using var folder = TinyLlamaFolder.Create(config, seed: 31);
        using var model = LlamaModel.Load(new Backends.Cpu.CpuBackend(), folder.Path, DType.F32);
        var prompts = ServingTestPrompts.Make(model.Backend, model.Config.HiddenSize);
        using var server = new CausalLmPromptServer(model, new NumberTokenizer(), Identity(folder.Path), maxInputLength: Cap);
        foreach (var (name, prompt) in prompts) server.AddPrompt(name, prompt);
        var requests = ServingTestPrompts.Requests([.. prompts.Keys], perName: 3);
        var options = new GenerationOptions(MaxNewTokens, StopTokenIds: []);

        int[][] served = server.GenerateTokenIds(requests, options);
        string[] texts = server.Generate(requests, options);

        var tokenizer = new NumberTokenizer();
        for (int i = 0; i < requests.Count; i++)
        {
            var (name, text) = requests[i];
            int[] alone = GenerateAlone(model, prompts[name], tokenizer.Encode(text, ServingTestPrompts.Limit(prompts[name], Cap)), options);
            Assert.That(served[i], Is.EqualTo(alone), $"request {i} ({name}: {text})");
            Assert.That(texts[i], Is.EqualTo(tokenizer.Decode(alone)), $"request {i} text");
        }
        Assert.That(requests.Select(r => r.Text.Split(' ').Length).Distinct().Count(), Is.GreaterThan(1), "lengths differ, so rows are padded");
        foreach (var prompt in prompts.Values) prompt.Dispose();
    }

    [Test]
    public void AStopTokenEndsItsExample()
    {
        using var folder = TinyLlamaFolder.Create(TinyLlamaFolder.LlamaConfig(), seed: 32);
        using var model = LlamaModel.Load(new Backends.Cpu.CpuBackend(), folder.Path, DType.F32);
        using var prompt = new PromptTuning(model.Backend, 2, model.Config.HiddenSize);
        prompt.InitializeRandom(5, range: 1f);
        using var server = new CausalLmPromptServer(model, new NumberTokenizer(), Identity(folder.Path));
        server.AddPrompt("pt", prompt);
        var free = server.GenerateTokenIds([("pt", "7 8 9")], new GenerationOptions(MaxNewTokens, StopTokenIds: []))[0];
        var stopped = server.GenerateTokenIds([("pt", "7 8 9")], new GenerationOptions(MaxNewTokens, StopTokenIds: [free[1]]))[0];
        int first = Array.IndexOf(free, free[1]);
        Assert.That(stopped, Is.EqualTo(free[..(first + 1)]), "the ids up to and including the first stop token");
    }

    private static ModelIdentity Identity(string folder)
    {
        using var file = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        return ModelIdentity.FromSafetensors("llama", 2, file, "model.embed_tokens.weight");
    }

    /// <summary>One example, batch 1, no padding, through the training form (A, B, no precomputed Δ).</summary>
    private static int[] GenerateAlone(LlamaModel model, SoftPrompt prompt, int[] ids, GenerationOptions options)
    {
        var backend = model.Backend;
        using var tokens = backend.Allocate(DType.I32, 1, ids.Length);
        tokens.CopyFrom(ids);
        using var embeds = backend.Allocate(DType.F32, 1, prompt.PromptLength + ids.Length, model.Config.HiddenSize);
        backend.PromptInputForward(embeds, tokens, model.Embeddings, prompt.Parameters, null, 1f);
        using var batch = CausalLmBatch.Create(backend, Enumerable.Repeat(1, ids.Length).ToArray(), 1, ids.Length, prompt.PromptLength);
        int[,] generated = model.Generate(embeds, batch, options);
        return Enumerable.Range(0, generated.GetLength(1)).Select(t => generated[0, t]).ToArray();
    }
}
