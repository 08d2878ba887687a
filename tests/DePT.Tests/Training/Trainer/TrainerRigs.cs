using System.Text;
using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Checkpoints;
using DePT.Data;
using DePT.IO;
using DePT.Models.Bert;
using DePT.Models.T5;
using DePT.Prompts;
using DePT.Tensors;
using DePT.Tests.Models;
using DePT.Tokenizers;
using DePT.Training;
using DePT.Training.Classification;
using DePT.Training.TextToText;

namespace DePT.Tests.Training.Trainer;

/// <summary>
/// Real tasks on the tiny fixtures for <see cref="DePT.Training.Trainer"/> runs on the CPU backend, each built from an
/// init seed so that two rigs of one folder start from different prompts and heads: a DePT + head
/// <see cref="ClassificationTask"/> on the BERT fixture (hidden dropout 0.1, a 40-word WordPiece vocabulary) and a DePT
/// <see cref="T5PromptTask"/> on the T5 v1.0 fixture (dropout 0.1, its embedding grown to the tokenizer fixture's
/// 700 ids so the real SentencePiece tokenizer drives it).
/// </summary>
internal static class TrainerRigs
{
    public const int BertInputLength = 8, T5InputLength = 12, T5TargetLength = 4, PromptLength = 3, Rank = 2;

    private static readonly string[] Positive = ["good", "great", "nice", "fun", "best"];
    private static readonly string[] Negative = ["bad", "awful", "poor", "dull", "worst"];
    private static readonly string[] Filler = ["the", "film", "movie", "plot", "was", "is", "it", "and", "very", "so", "acting", "story", "music", "cast", "really"];

    /// <summary>The BERT fixture with hidden dropout 0.1.</summary>
    public static ModelFolder BertFolder() =>
        ModelFolder.Copy("bert", editConfig: json => Replaced(json, "\"hidden_dropout_prob\": 0.0", "\"hidden_dropout_prob\": 0.1"));

    /// <summary>The T5 v1.0 fixture with dropout 0.1 and <c>shared.weight</c> grown from 96 to the tokenizer's 700 rows (the extra rows drawn like the first).</summary>
    public static ModelFolder T5Folder()
    {
        string source = Path.Combine(ReferenceFixture.Root, "t5_v1_0");
        float[] shared;
        using (var weights = ModelWeights.Open(source)) shared = weights.ReadFloat32("shared.weight");
        int d = 32, rows = T5Tokenizer().VocabularySize;
        double std = Math.Sqrt(shared.Select(v => (double)v * v).Average());
        var grown = new float[rows * d];
        shared.CopyTo(grown, 0);
        ModelTestData.Normal(grown.Length - shared.Length, std, new Random(96)).CopyTo(grown, shared.Length);
        return ModelFolder.Copy("t5_v1_0", keep: name => name != "shared.weight",
            extra: [SafetensorsTensor.Float32("shared.weight", grown, rows, d)],
            editConfig: json => Replaced(Replaced(json, "\"vocab_size\": 96", $"\"vocab_size\": {rows}"), "\"dropout_rate\": 0.0", "\"dropout_rate\": 0.1"));
    }

    public static SentencePieceTokenizer T5Tokenizer() =>
        SentencePieceTokenizer.FromFile(Path.Combine(ReferenceFixture.Root, "..", "tokenizer", "t5", "spiece.model"));

    /// <summary>[PAD] [UNK] [CLS] [SEP] [MASK] and every word the sentences use: ids below the fixture's 96.</summary>
    public static WordPieceTokenizer BertTokenizer()
    {
        string vocabulary = string.Join('\n', new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Positive).Concat(Negative).Concat(Filler)) + "\n";
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(vocabulary));
        return WordPieceTokenizer.FromVocabulary(stream, lowerCase: true, stripAccents: false);
    }

    /// <summary><paramref name="count"/> sentences of 3–7 words, alternately with a positive and a negative word, labelled "pos"/"neg" (classification) or with targets "positive"/"negative" (text-to-text).</summary>
    public static Example[] Sentences(int count, int seed, bool textToText, string file = "sentences.jsonl")
    {
        var random = new Random(seed);
        var examples = new Example[count];
        for (int i = 0; i < count; i++)
        {
            bool positive = i % 2 == 0;
            var words = Enumerable.Range(0, random.Next(2, 7)).Select(_ => Filler[random.Next(Filler.Length)]).ToList();
            var sentiment = positive ? Positive : Negative;
            words.Insert(random.Next(words.Count + 1), sentiment[random.Next(sentiment.Length)]);
            string input = string.Join(' ', words);
            examples[i] = textToText
                ? new Example(input, positive ? "positive" : "negative", null, file, i + 1)
                : new Example(input, null, positive ? "pos" : "neg", file, i + 1);
        }
        return examples;
    }

    public static LabelSet ClassLabels => new(["neg", "pos"]);

    public static ModelIdentity IdentityOf(string folder, string modelType, string embeddingName)
    {
        using var file = SafetensorsFile.Open(Path.Combine(folder, ModelWeights.SingleFileName));
        return ModelIdentity.FromSafetensors(modelType, 2, file, embeddingName);
    }

    private static string Replaced(string json, string from, string to)
    {
        if (!json.Contains(from, StringComparison.Ordinal)) throw new InvalidOperationException($"the fixture config has no {from}");
        return json.Replace(from, to, StringComparison.Ordinal);
    }
}

/// <summary>A task and its trainable values, for the resume scenarios.</summary>
internal interface ITrainerRig : IDisposable
{
    ITrainingTask Task { get; }

    /// <summary>Every trainable value, concatenated.</summary>
    float[] Values();
}

/// <summary>A DePT prompt + head classification task on the BERT fixture; <c>initSeed</c> draws the prompt, A and the head.</summary>
internal sealed class ClassificationRig : ITrainerRig
{
    public ClassificationRig(string folder, ulong initSeed, int steps, ModelIdentity? identity = null, IBackend? backend = null)
    {
        var cpu = backend ?? new CpuBackend();
        Model = BertModel.Load(cpu, folder, DType.F32);
        Identity = identity ?? TrainerRigs.IdentityOf(folder, "bert", "embeddings.word_embeddings.weight");
        Prompt = new DecomposedPrompt(cpu, TrainerRigs.PromptLength, Model.Config.HiddenSize, TrainerRigs.BertInputLength, TrainerRigs.Rank, lowRankSeed: initSeed);
        Prompt.InitializeRandom(initSeed + 1);
        Head = new ClassificationHead(cpu, Model.Config.HiddenSize, 2, seed: initSeed + 2);
        var settings = new AdamWSettings(PromptLearningRate: 3e-2f, LowRankLearningRate: 1e-2f, WarmupSteps: 2, TotalSteps: steps, MaxGradNorm: 1f);
        Classifier = new PromptClassifier(Model, Prompt, Head, new PromptClassifierOptions(settings, HeadLearningRate: 5e-2f, Dropout: true, DropoutSeed: 17));
        Task = new ClassificationTask(Classifier, new ExampleBatcher(TrainerRigs.BertTokenizer(), TrainerRigs.BertInputLength, 2, TrainerRigs.ClassLabels),
            TrainerRigs.ClassLabels, Identity);
    }

    public BertModel Model { get; }
    public ModelIdentity Identity { get; }
    public DecomposedPrompt Prompt { get; }
    public ClassificationHead Head { get; }
    public PromptClassifier Classifier { get; }
    public ClassificationTask Task { get; }

    ITrainingTask ITrainerRig.Task => Task;

    /// <summary>P, A, B, head weight and bias, concatenated.</summary>
    public float[] Values() =>
        [.. Prompt.Prompt.ToFloatArray(), .. Prompt.LowRankA.ToFloatArray(), .. Prompt.LowRankB.ToFloatArray(), .. Head.Weight.ToFloatArray(), .. Head.Bias.ToFloatArray()];

    public void Dispose()
    {
        Classifier.Dispose();
        Head.Dispose();
        Prompt.Dispose();
        Model.Dispose();
    }
}

/// <summary>A DePT T5 text-to-text task on the grown T5 fixture; <c>initSeed</c> draws the prompt and A.</summary>
internal sealed class T5Rig : ITrainerRig
{
    public T5Rig(string folder, ulong initSeed, int steps, LabelSet? labelWords = null, bool dropout = true, IBackend? backend = null)
    {
        var cpu = backend ?? new CpuBackend();
        Model = T5Model.Load(cpu, folder, DType.F32);
        Identity = TrainerRigs.IdentityOf(folder, "t5", "shared.weight");
        Tokenizer = TrainerRigs.T5Tokenizer();
        Prompt = new DecomposedPrompt(cpu, TrainerRigs.PromptLength, Model.Config.ModelDim, TrainerRigs.T5InputLength, TrainerRigs.Rank, lowRankSeed: initSeed);
        Prompt.InitializeFromVocabulary(Model.Embeddings, seed: initSeed + 1);
        var settings = new AdamWSettings(PromptLearningRate: 3e-1f, LowRankLearningRate: 1e-2f, WarmupSteps: 2, TotalSteps: steps, MaxGradNorm: 1f);
        Task = new T5PromptTask(Model, Prompt, Tokenizer, new ExampleBatcher(Tokenizer, TrainerRigs.T5InputLength, TrainerRigs.T5TargetLength), Identity, settings,
            labelWords, dropout, dropoutSeed: 23);
    }

    public T5Model Model { get; }
    public ModelIdentity Identity { get; }
    public SentencePieceTokenizer Tokenizer { get; }
    public DecomposedPrompt Prompt { get; }
    public T5PromptTask Task { get; }

    ITrainingTask ITrainerRig.Task => Task;

    /// <summary>P, A, B concatenated.</summary>
    public float[] Values() => [.. Prompt.Prompt.ToFloatArray(), .. Prompt.LowRankA.ToFloatArray(), .. Prompt.LowRankB.ToFloatArray()];

    public void Dispose()
    {
        Task.Dispose();
        Prompt.Dispose();
        Model.Dispose();
    }
}
