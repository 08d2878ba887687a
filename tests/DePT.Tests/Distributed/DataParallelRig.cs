using DePT.Backends;
using DePT.Checkpoints;
using DePT.Data;
using DePT.Models.Bert;
using DePT.Models.T5;
using DePT.Prompts;
using DePT.Tensors;
using DePT.Tests.Data;
using DePT.Tests.Models;
using DePT.Training;
using DePT.Training.Classification;
using DePT.Training.TextToText;

namespace DePT.Tests.Distributed;

/// <summary>The fixture tasks a data-parallel test replicates.</summary>
public enum RigKind
{
    /// <summary>DePT prompt + head on the tiny BERT fixture, label-column rows.</summary>
    BertClassification,

    /// <summary>DePT prompt on the tiny T5 v1.1 fixture, text-to-text rows whose targets differ in length.</summary>
    T5TextToText,
}

/// <summary>
/// One replica of a fixture task on a backend, dropout off unless asked (then BERT's hidden dropout is 0.1): the model, a
/// DePT prompt (and a head for BERT) drawn from <c>initSeed</c>, the task with its AdamW (clipping on, a short warmup),
/// and every trainable value concatenated. A stand-in tokenizer (<see cref="WordCountTokenizer"/>) keeps the ids inside
/// the fixtures' 96-id vocabularies.
/// </summary>
internal sealed class DataParallelRig : IDisposable
{
    public const int InputLength = 10, TargetLength = 5, PromptLength = 3, Rank = 2;
    private readonly List<IDisposable> _owned = [];
    private readonly Func<float[]> _values;

    public DataParallelRig(RigKind kind, IBackend backend, ulong initSeed, bool bertDropout = false)
    {
        var tokenizer = new WordCountTokenizer();
        var settings = new AdamWSettings(PromptLearningRate: 3e-2f, LowRankLearningRate: 1e-2f, WarmupSteps: 2, TotalSteps: 50, MaxGradNorm: 1f);
        var identity = new ModelIdentity(kind.ToString(), 32, 96, 2, "fixture");
        if (kind == RigKind.BertClassification)
        {
            string folder = bertDropout
                ? Own(ModelFolder.Copy("bert", editConfig: json => json.Replace("\"hidden_dropout_prob\": 0.0", "\"hidden_dropout_prob\": 0.1"))).Path
                : Path.Combine(ReferenceFixture.Root, "bert");
            var model = Own(BertModel.Load(backend, folder, DType.F32));
            var prompt = Own(new DecomposedPrompt(backend, PromptLength, model.Config.HiddenSize, InputLength, Rank, lowRankSeed: initSeed));
            prompt.InitializeFromVocabulary(model.Embeddings, seed: initSeed + 1);
            var head = Own(new ClassificationHead(backend, model.Config.HiddenSize, 2, seed: initSeed + 2));
            var classifier = Own(new PromptClassifier(model, prompt, head, new PromptClassifierOptions(settings, HeadLearningRate: 5e-2f, Dropout: bertDropout, DropoutSeed: 17)));
            Task = new ClassificationTask(classifier, new ExampleBatcher(tokenizer, InputLength, TargetLength, Labels), Labels, identity);
            _values = () => [.. prompt.Prompt.ToFloatArray(), .. prompt.LowRankA.ToFloatArray(), .. prompt.LowRankB.ToFloatArray(),
                .. head.Weight.ToFloatArray(), .. head.Bias.ToFloatArray()];
        }
        else
        {
            var model = Own(T5Model.Load(backend, Path.Combine(ReferenceFixture.Root, "t5_v1_1"), DType.F32));
            var prompt = Own(new DecomposedPrompt(backend, PromptLength, model.Config.ModelDim, InputLength, Rank, lowRankSeed: initSeed));
            prompt.InitializeFromVocabulary(model.Embeddings, seed: initSeed + 1);
            Task = Own(new T5PromptTask(model, prompt, tokenizer, new ExampleBatcher(tokenizer, InputLength, TargetLength), identity, settings, dropout: false));
            _values = () => [.. prompt.Prompt.ToFloatArray(), .. prompt.LowRankA.ToFloatArray(), .. prompt.LowRankB.ToFloatArray()];
        }
    }

    public static LabelSet Labels => new(["neg", "pos"]);

    public ITrainingTask Task { get; }

    /// <summary>Every trainable value, concatenated.</summary>
    public float[] Values() => _values();

    /// <summary>
    /// <paramref name="count"/> rows of 1–8 words, labelled alternately (classification) or with targets of 1–4 words
    /// (text-to-text), so that shards differ in rows, padding and target tokens.
    /// </summary>
    public static Example[] Examples(int count, int seed)
    {
        var random = new Random(seed);
        string Words(int min, int max) => string.Join(' ', Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => new string('w', random.Next(1, 30))));
        return [.. Enumerable.Range(0, count).Select(i => new Example(Words(1, 8), Words(1, 4), i % 2 == 0 ? "pos" : "neg", "rows.jsonl", i + 1))];
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
    }

    private T Own<T>(T item) where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }
}
