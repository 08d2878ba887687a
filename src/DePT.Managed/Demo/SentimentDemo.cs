using System.Diagnostics;
using DePT.Backends;
using DePT.Backends.Cuda;
using DePT.Data;
using DePT.Data.Sources;
using DePT.Devices;
using DePT.Models.Bert;
using DePT.Models.MiniLm;
using DePT.Prompts;
using DePT.Tensors;
using DePT.Tokenizers;
using DePT.Training;
using DePT.Training.Classification;

namespace DePT.Demo;

/// <summary>
/// The embedded demo: all-MiniLM-L6-v2 (frozen, F32) on the UCI sentiment sentences, one seeded class-balanced split,
/// and three models trained on it with the same steps, batches and head: the head alone, vanilla PT (L rows) + head,
/// and DePT (m rows, rank r, the same parameter count) + head; each is scored on the held-out sentences.
/// </summary>
/// <remarks>
/// Split: the sentences of each label are shuffled by <see cref="SentimentDemoOptions.Seed"/>; the first
/// TrainCount/2 of each form the training set and the next TestCount/2 of each the test set, so both are balanced and
/// disjoint. The training batches come from one <see cref="EpochOrder"/> per run, seeded alike, so all three models
/// see the same batches in the same order.
/// </remarks>
public static class SentimentDemo
{
    /// <summary>The labels of the sentences in head order: "0" negative, "1" positive.</summary>
    public static readonly LabelSet Labels = new(["0", "1"]);

    private const int LossWindow = 20;

    /// <summary>Loads the sentences (fetching them with npm on first use), the model and the vocabulary, and runs the three models.</summary>
    /// <param name="options">The settings; see <see cref="SentimentDemoOptions.ForCpu"/> and <see cref="SentimentDemoOptions.ForCuda"/>.</param>
    /// <param name="progress">Receives one line per stage and periodic losses; null for silence.</param>
    /// <exception cref="DataFetchException">The sentences are not cached and npm is missing or fails.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or the data has too few sentences of a class.</exception>
    /// <exception cref="CudaUnavailableException">CUDA was asked for and there is no usable device.</exception>
    public static SentimentDemoReport Run(SentimentDemoOptions options, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var clock = Stopwatch.StartNew();
        progress?.Report($"loading the UCI sentiment sentences ({SentimentSentences.PackageSpec} via npm on first use) ...");
        var sentences = SentimentSentences.Load(options.CacheDirectory);
        var (train, test) = Split(sentences, options.TrainCount, options.TestCount, options.Seed);
        progress?.Report($"split: {train.Count} train / {test.Count} test sentences, class-balanced, seed {options.Seed}");

        progress?.Report("loading all-MiniLM-L6-v2 and its WordPiece vocabulary ...");
        var package = MiniLmPackage.Load();
        WordPieceTokenizer tokenizer;
        using (var vocabulary = package.OpenVocabulary()) tokenizer = WordPieceTokenizer.FromVocabulary(vocabulary);
        var weights = MiniLmWeights.FromOnnx(package.ReadModel(), MiniLmConfig.AllMiniLmL6V2);

        using var backend = BackendFactory.Open(options.Device);
        string deviceDescription = backend is CudaBackend cuda ? $"{cuda.CudaDevice} f32" : "cpu f32";
        using var encoder = BertModel.FromMiniLm(backend, weights, DType.F32);
        int d = encoder.Config.HiddenSize;
        var shape = PromptBudget.Decomposition(d, options.MaxLength, options.VanillaPromptLength);
        progress?.Report($"device {deviceDescription}; d={d}, s={options.MaxLength}; PT L={options.VanillaPromptLength} ({(long)options.VanillaPromptLength * d} parameters) " +
                         $"vs DePT m={shape.PromptLength}, r={shape.Rank} ({shape.ParameterCount} parameters)");

        var batcher = new ExampleBatcher(tokenizer, options.MaxLength, tokenizer.MinimumLength, Labels);
        var results = new List<DemoRunResult>(3);
        foreach (var method in Enum.GetValues<DemoMethod>())
        {
            using var prompt = MakePrompt(method, backend, encoder, shape, options);
            results.Add(Train(method, encoder, prompt, batcher, train, test, options, progress));
        }
        using var self = Process.GetCurrentProcess();
        return new SentimentDemoReport(options, deviceDescription, train.Count, test.Count, shape.PromptLength, shape.Rank, results,
            self.PeakWorkingSet64, clock.Elapsed);
    }

    /// <summary>The seeded, class-balanced, disjoint split described on the class.</summary>
    /// <exception cref="ArgumentException">A label has fewer than (train + test)/2 sentences.</exception>
    public static (IReadOnlyList<Example> Train, IReadOnlyList<Example> Test) Split(IReadOnlyList<Example> sentences, int trainCount, int testCount, int seed)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var train = new List<Example>(trainCount);
        var test = new List<Example>(testCount);
        int trainPerClass = trainCount / 2, testPerClass = testCount / 2;
        foreach (string label in Labels.Labels)
        {
            var ofLabel = sentences.Where(s => s.Label == label).ToArray();
            if (ofLabel.Length < trainPerClass + testPerClass)
                throw new ArgumentException($"the split needs {trainPerClass} + {testPerClass} sentences labelled \"{label}\"; the data has {ofLabel.Length}.");
            var random = new Random(seed);
            random.Shuffle(ofLabel);
            train.AddRange(ofLabel.AsSpan(0, trainPerClass));
            test.AddRange(ofLabel.AsSpan(trainPerClass, testPerClass));
        }
        return (train, test);
    }

    private static SoftPrompt? MakePrompt(DemoMethod method, IBackend backend, BertModel encoder, PromptBudgetOption shape, SentimentDemoOptions options)
    {
        int d = encoder.Config.HiddenSize;
        ulong seed = (ulong)options.Seed;
        SoftPrompt? prompt = method switch
        {
            DemoMethod.HeadOnly => null,
            DemoMethod.PromptTuning => new PromptTuning(backend, options.VanillaPromptLength, d),
            DemoMethod.DecomposedPromptTuning => new DecomposedPrompt(backend, shape.PromptLength, d, options.MaxLength, shape.Rank, lowRankSeed: seed + 1),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown demo method"),
        };
        // rows of real word embeddings, as the DePT reference initialises P (SAMPLE_VOCAB)
        prompt?.InitializeFromVocabulary(encoder.Embeddings, seed + 2);
        return prompt;
    }

    private static DemoRunResult Train(DemoMethod method, BertModel encoder, SoftPrompt? prompt, ExampleBatcher batcher,
        IReadOnlyList<Example> train, IReadOnlyList<Example> test, SentimentDemoOptions options, IProgress<string>? progress)
    {
        string description = prompt switch
        {
            null => "head only",
            DecomposedPrompt dept => $"DePT m={dept.PromptLength}, r={dept.Rank}",
            _ => $"PT L={prompt.PromptLength}",
        };
        var settings = new AdamWSettings(PromptLearningRate: options.PromptLearningRate, LowRankLearningRate: options.LowRankLearningRate,
            WarmupSteps: Math.Max(1, options.Steps / 10), TotalSteps: options.Steps, MaxGradNorm: 1f);
        using var head = new ClassificationHead(encoder.Backend, encoder.Config.HiddenSize, Labels.Count, (ulong)options.Seed);
        using var classifier = new PromptClassifier(encoder, prompt, head,
            new PromptClassifierOptions(settings, options.HeadLearningRate, Dropout: true, DropoutSeed: (ulong)options.Seed + 3));
        var pool = (encoder.Backend as CudaBackend)?.CudaDevice.Pool;
        pool?.ResetPeak();

        progress?.Report($"training {description} for {options.Steps} steps of {options.BatchSize} ...");
        var order = new EpochOrder(train.Count, options.Seed);
        var losses = new float[options.Steps];
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < options.Steps; step++)
        {
            var batch = batcher.Encode(train, order.NextBatch(options.BatchSize));
            losses[step] = classifier.TrainStep(batch);
            int done = step + 1;
            if (done % Math.Max(1, options.Steps / 5) == 0 || done == options.Steps)
                progress?.Report($"  {description}: step {done}/{options.Steps}, loss {MeanOfLast(losses, done):F4} (mean of the last {Math.Min(LossWindow, done)}), {clock.Elapsed.TotalSeconds:F1} s");
        }
        encoder.Backend.Synchronize();
        var trainingTime = clock.Elapsed;
        long? peak = pool?.PeakBytes;
        double accuracy = classifier.Evaluate(test, batcher, options.EvaluationBatchSize);
        progress?.Report($"  {description}: held-out accuracy {accuracy:P1}");
        return new DemoRunResult(method, description, prompt?.TrainableParameterCount ?? 0, head.TrainableParameterCount, accuracy,
            MeanOfLast(losses, losses.Length), trainingTime, peak);
    }

    private static double MeanOfLast(float[] losses, int count)
    {
        int window = Math.Min(LossWindow, count);
        double sum = 0;
        for (int i = count - window; i < count; i++) sum += losses[i];
        return sum / window;
    }
}
