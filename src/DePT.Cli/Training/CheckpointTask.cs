using DePT.Checkpoints;
using DePT.Data;
using DePT.Models;
using DePT.Prompts;
using DePT.Training;
using DePT.Training.Classification;
using DePT.Training.TextToText;

namespace DePT.Cli.Training;

/// <summary>A <see cref="TaskSetup"/> with the trained values of a checkpoint folder (<c>best/</c> or <c>last/</c> of a run), for <c>eval</c> and <c>predict</c>.</summary>
internal static class CheckpointTask
{
    /// <param name="model">The model the checkpoint was trained on (checked through its identity).</param>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="maxLength">s for inputs; null: what a DePT prompt's rows of A allow, else 256 for T5 and causal LMs and 128 for encoders.</param>
    /// <param name="targetLength">Most generated tokens (T5).</param>
    /// <param name="labelWordsFrom">For T5: examples whose few distinct targets become label words; null for free text.</param>
    public static TaskSetup Open(PretrainedModel model, string folder, int? maxLength, int targetLength, IReadOnlyList<Example>? labelWordsFrom)
    {
        string full = Path.GetFullPath(folder);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"the checkpoint folder '{full}' does not exist (give best/ or last/ of a training run).");
        string promptPath = Path.Combine(full, T5PromptTask.PromptFileName), headPath = Path.Combine(full, ClassificationTask.HeadFileName);
        SoftPrompt? prompt = File.Exists(promptPath) ? PromptFile.Load(promptPath, model.Backend, model.Identity) : null;
        try
        {
            LabelSet? labels;
            if (model.Encoder is not null)
            {
                if (!File.Exists(headPath)) throw new FileNotFoundException($"'{full}' has no {ClassificationTask.HeadFileName}; an encoder checkpoint needs its head.", headPath);
                var (head, headLabels) = ClassificationHeadFile.Load(headPath, model.Backend, model.Identity);
                head.Dispose();
                labels = headLabels;
            }
            else
            {
                if (prompt is null) throw new FileNotFoundException($"'{full}' has no {T5PromptTask.PromptFileName}; a T5 or causal-LM checkpoint is its prompt.", promptPath);
                var words = labelWordsFrom?.Select(e => e.Target!).Distinct().Order(StringComparer.Ordinal).ToList();
                labels = words is { Count: >= 2 and <= TaskSetup.MaxLabelWords } ? new LabelSet(words) : null;
            }
            int s = maxLength
                ?? (prompt is DecomposedPrompt dept ? model.InputLengthFor(dept.MaxLength, targetLength) : model.Encoder is not null ? 128 : 256);
            var setup = TaskSetup.Create(model, prompt, labels, s, targetLength, new AdamWSettings(), headLearningRate: 1e-3f, dropout: false, seed: 0);
            prompt = null;   // the setup owns it now
            setup.Task.LoadParameters(full);
            return setup;
        }
        finally
        {
            prompt?.Dispose();
        }
    }
}
