using DePT.Data;
using DePT.Models;
using DePT.Prompts;
using DePT.Training;
using DePT.Training.Classification;
using DePT.Tokenizers;
using DePT.Training.TextToText;

namespace DePT.Cli.Training;

/// <summary>
/// Builds the training task for a loaded model: a <see cref="ClassificationTask"/> (prompt + head on a BERT-style
/// encoder, label-column data), a <see cref="T5PromptTask"/> or a <see cref="CausalLmPromptTask"/> (text-to-text). Owns
/// what it creates.
/// </summary>
internal sealed class TaskSetup : IDisposable
{
    /// <summary>Distinct training targets up to this many make a text-to-text task a classification over label words.</summary>
    public const int MaxLabelWords = 20;

    private readonly List<IDisposable> _owned = [];

    private PromptClassifier? _classifier;
    private ITextGenerationTask? _generationTask;
    private ITextTokenizer? _tokenizer;
    private int _maxLength;

    private TaskSetup(ITrainingTask task) => Task = task;

    public ITrainingTask Task { get; }

    /// <summary>The class labels (encoders) or label words (T5 classification), or null for free text.</summary>
    public LabelSet? Labels { get; private init; }

    /// <param name="model">The frozen model.</param>
    /// <param name="prompt">The prompt (ownership passes to the setup), or null for an encoder's head alone.</param>
    /// <param name="labels">Class labels (required for encoders); label words for T5 or null.</param>
    /// <param name="maxLength">s: most input tokens.</param>
    /// <param name="targetLength">Most target tokens (T5).</param>
    /// <param name="optimizer">AdamW settings.</param>
    /// <param name="headLearningRate">The head's learning rate (encoders).</param>
    /// <param name="dropout">Dropout while training.</param>
    /// <param name="seed">Seed of the head's initialisation and of dropout.</param>
    public static TaskSetup Create(PretrainedModel model, SoftPrompt? prompt, LabelSet? labels, int maxLength, int targetLength, AdamWSettings optimizer,
        float headLearningRate, bool dropout, int seed)
    {
        var owned = new List<IDisposable>();
        if (prompt is not null) owned.Add(prompt);
        PromptClassifier? createdClassifier = null;
        try
        {
            ITrainingTask task;
            if (model.Encoder is { } encoder)
            {
                if (labels is null) throw new ArgumentException("a BERT-style encoder classifies: the data needs a label column.");
                var head = new ClassificationHead(model.Backend, model.Dim, labels.Count, (ulong)seed);
                owned.Add(head);
                var classifier = new PromptClassifier(encoder, prompt, head, new PromptClassifierOptions(optimizer, headLearningRate, dropout, (ulong)seed + 3));
                owned.Add(classifier);
                task = new ClassificationTask(classifier, new ExampleBatcher(model.Tokenizer, maxLength, model.Tokenizer.MinimumLength, labels), labels, model.Identity);
                createdClassifier = classifier;
            }
            else if (model.CausalLm is { } causalLm)
            {
                if (prompt is null) throw new ArgumentException("a causal LM trains a prompt: choose --method pt or dept.");
                var causalTask = new CausalLmPromptTask(causalLm, prompt, model.Tokenizer, new ExampleBatcher(model.Tokenizer, maxLength, targetLength), model.Identity, optimizer,
                    labels);
                owned.Add(causalTask);
                task = causalTask;
            }
            else
            {
                if (prompt is null) throw new ArgumentException("T5 trains a prompt: choose --method pt or dept.");
                var t5Task = new T5PromptTask(model.T5!, prompt, model.Tokenizer, new ExampleBatcher(model.Tokenizer, maxLength, targetLength), model.Identity, optimizer,
                    labels, dropout, (ulong)seed + 3);
                owned.Add(t5Task);
                task = t5Task;
            }
            var setup = new TaskSetup(task) { Labels = labels, _classifier = createdClassifier, _generationTask = task as ITextGenerationTask, _tokenizer = model.Tokenizer, _maxLength = maxLength };
            setup._owned.AddRange(owned);
            return setup;
        }
        catch
        {
            for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
            throw;
        }
    }

    /// <summary>The label set of an encoder task: the training labels in ordinal order; for text-to-text, the distinct targets when there are few, else null.</summary>
    public static LabelSet? LabelsOf(PretrainedModel model, IReadOnlyList<Example> train)
    {
        if (model.Encoder is not null) return new LabelSet(train.Select(e => e.Label!).Distinct().Order(StringComparer.Ordinal));
        var words = train.Select(e => e.Target!).Distinct().Order(StringComparer.Ordinal).ToList();
        return words.Count is >= 2 and <= MaxLabelWords ? new LabelSet(words) : null;
    }

    /// <summary>The prediction for each text: a label name (encoders) or the generated text (T5, causal LMs), <paramref name="batchSize"/> texts per pass.</summary>
    public string[] Predict(IReadOnlyList<string> texts, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (_generationTask is not null)
            return _generationTask.Generate(texts.Select((t, i) => new Example(t, "", null, "input", i + 1)).ToList(), batchSize);
        var predictions = new string[texts.Count];
        for (int start = 0; start < texts.Count; start += batchSize)
        {
            var chunk = texts.Skip(start).Take(batchSize).ToList();
            int[] classes = _classifier!.Predict(_tokenizer!.EncodeBatch(chunk, _maxLength));
            for (int i = 0; i < classes.Length; i++) predictions[start + i] = Labels!.Labels[classes[i]];
        }
        return predictions;
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
    }
}
